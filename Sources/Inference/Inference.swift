// Inference: what happens to a trained net's output after training — whole-image and tiled
// (sliding-window) prediction, test-time augmentation, ensembles of several models, the memory
// plan that decides between whole images and tiles, and the files competitors hand in or pass
// on (the submission CSV, probabilities as .npy).
//
// It runs models (FCN, NN, Tensor) on decoded images (SegData) and scores them (SegMetrics);
// it must not import Training or the command line: Training may compose it, the CLI drives it.
// Everything here works on softmax probabilities, never on logits, because only probabilities
// can be averaged across transforms, windows and models.
