/*
 * ocr.h — the text printed in an image, for items that come without a caption (--ocr-missing):
 * Tesseract's LSTM engine with the English model (Debian tesseract-ocr-eng), the image decoded by
 * Leptonica from the same bytes the pipeline downloaded or read. Each thread keeps one Tesseract
 * instance (loading the model costs ~0.1 s), released when the thread ends.
 */
#ifndef VT_PIPELINE_OCR_H
#define VT_PIPELINE_OCR_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

/* ocr_available: 1 if Tesseract and its English model can be loaded. Cannot fail. */
int ocr_available(void);

/* ocr_image_text: the recognised text of the encoded image data[0..len) into *text (UTF-8,
 * caller vt_free; "" when none is found). Errors: VT_ECORRUPT (undecodable), VT_EUNSUPPORTED
 * (no Tesseract model), VT_ENOMEM. */
int ocr_image_text(const uint8_t *data, size_t len, char **text, vt_error *err);

#endif
