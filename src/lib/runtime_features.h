/* `ocirt features`: what this build on this host supports (runtime-spec features.md). */
#ifndef OCIRT_RUNTIME_FEATURES_H
#define OCIRT_RUNTIME_FEATURES_H

#include "ocispec.h"

/* A new features document; free with oci_free(&oci_features_type, ...). */
oci_features *features_build(void);

#endif
