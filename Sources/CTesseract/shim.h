#ifndef CHARTEX_CTESSERACT_SHIM_H
#define CHARTEX_CTESSERACT_SHIM_H
#include <tesseract/capi.h>
#endif
