// WeightIO: tensors in files, without Python.
//
// Owns: HostArray (a typed array with a shape), SafeTensors read/write, NumPy .npy, PyTorch .pth
// (the zip container, a bounded pickle machine, legacy and v2 storages), atomic file writes.
// Every size read from a file is bounded before anything is allocated; errors name the file.
//
// Imports no project module (CZlib: zlib inflates zip entries and checks their CRC-32).
