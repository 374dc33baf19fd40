/*
 * fashion_mnist.h — reading the Fashion-MNIST data set as Debian's dataset-fashion-mnist ships it
 * (/usr/share/datasets/fashion-mnist, files NAME-idx3-ubyte.gz and NAME-idx1-ubyte.gz).
 */
#ifndef VT_CLI_FASHION_MNIST_H
#define VT_CLI_FASHION_MNIST_H

#include <stdint.h>

#include "base/error.h"

#define FMNIST_DIR "/usr/share/datasets/fashion-mnist"
#define FMNIST_SIDE 28

extern const char *const FMNIST_CLASSES[10]; /* "t-shirt", "trousers", … as the model learnt them */

typedef struct fmnist {
    int n;             /* images */
    uint8_t *pixels;   /* n × 28 × 28, gray (the data set stores negated intensities) */
    uint8_t *labels;   /* n class indices 0..9 */
} fmnist;

/* fmnist_load: reads split "train" or "t10k" from dir, at most limit images (0 = all). Release
 * with fmnist_free. Errors name the file. */
int fmnist_load(const char *dir, const char *split, int limit, fmnist *out, vt_error *err);
void fmnist_free(fmnist *d);

#endif
