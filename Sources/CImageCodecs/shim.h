// libspng (PNG) and libturbojpeg (JPEG), from Debian's libspng-dev and libturbojpeg0-dev.
#include <spng.h>
#include <turbojpeg.h>
