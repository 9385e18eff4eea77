// oneDNN 3.x C API (installed by scripts/setup under /usr/local).
#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_debug.h>
