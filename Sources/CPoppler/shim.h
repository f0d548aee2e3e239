#ifndef CHARTEX_CPOPPLER_SHIM_H
#define CHARTEX_CPOPPLER_SHIM_H
#include <poppler.h>
#include <cairo.h>
#endif
