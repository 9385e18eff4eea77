// SegData: everything between files on disk and a batch of (image, label map).
//
// Entry points the trainer and the CLI use:
//   - `openDataset(spec: "coco:ann.json", split: .train, seed:)` → `SegmentationDataset`
//     (kinds: synthetic[:N], folder:DIR, voc:DIR, coco:FILE.json, cityscapes:DIR; see DatasetSpec)
//   - `DataLoader(dataset:config:)` + `LoaderConfig` (batch size, workers, seed, `Augmentation`,
//     `Normalization`, skipBad) → `batches(epoch:)` / `batches(from: LoaderPosition)` → `Batch`
//     (NCHW `[Float]` images, N×H×W `[Int32]` labels, 255 = ignore)
//   - `exportMasks(dataset:to:skipBad:)` for `fcn export-masks`
//   - codecs: `readImage`, `readLabelMap`, `writeImage`, `writeLabelMap`, `encodePNG`,
//     `encodePalettePNG`, `encodeJPEG`, `decodeImage`; pictures: `overlay`, `VOCPalette.colourize`,
//     `sampleGrid`
//   - every bad input throws `DataError` (file, optional COCO annotation id, problem).
//
// Files: one job each — codecs (PNGCodec, JPEGCodec, ImageFiles), data set kinds (one file each,
// CocoRLE holds the pycocotools-exact rasteriser), transforms (Resize, Transforms, Normalization),
// loading (Batch, DataLoader), measurement (LoaderThroughput).
