// Reports: the pictures and pages a person reads after (or during) a run — SVG charts with
// titles, named axes, nice tick labels and legends; the confusion matrix and per-class IoU
// charts; sample panels (PNG, drawn with a built-in bitmap font); the run's self-contained
// report.html; and the comparison of several runs.
//
// Everything here is fed from the files a run folder holds (config.json, log.jsonl,
// metrics.json, confusion.json, samples/), so a finished run can be reported again. It must not
// import Training, FCN, NN or Tensor: it draws numbers, it does not compute them.
