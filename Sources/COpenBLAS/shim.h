#ifndef CHARTEX_COPENBLAS_SHIM_H
#define CHARTEX_COPENBLAS_SHIM_H
#include <cblas.h>
#endif
