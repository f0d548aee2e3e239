#ifndef CHARTEX_CLEPTONICA_SHIM_H
#define CHARTEX_CLEPTONICA_SHIM_H
#include <leptonica/allheaders.h>
#endif
