// SegData module
