// zlib (Debian's zlib1g-dev; libspng needs it too): raw inflate for zip entries and CRC-32.
#include <zlib.h>
