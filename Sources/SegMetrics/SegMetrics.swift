// SegMetrics module
