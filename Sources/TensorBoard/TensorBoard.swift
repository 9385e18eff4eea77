// TensorBoard: writes TensorBoard event files (TFRecord framing, CRC-32C, protobuf `Event`s of
// scalars and PNG images) that `tensorboard --logdir` reads. Owns the record format only; what
// a training run logs is decided by Training's TensorBoardSink. Imports ProtoWire only.
