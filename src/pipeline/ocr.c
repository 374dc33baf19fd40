/*
 * ocr.c — Tesseract through its C API (ocr.h). The instance of a thread lives in thread-specific
 * storage with a destructor, so the loader pool's workers each initialise once and clean up when
 * the pool is freed. Tesseract's own chatter (resolution estimates, warnings) goes to /dev/null
 * through its debug_file variable; failures come back as our errors.
 */
#include <leptonica/allheaders.h>
#include <pthread.h>
#include <string.h>
#include <tesseract/capi.h>

#include "base/alloc.h"
#include "ocr.h"

static pthread_key_t api_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void api_destroy(void *p) {
    TessBaseAPI *api = p;
    TessBaseAPIEnd(api);
    TessBaseAPIDelete(api);
}

static void key_init(void) {
    pthread_key_create(&api_key, api_destroy);
    setMsgSeverity(L_SEVERITY_NONE); /* Leptonica: no messages on stderr for bad images */
}

/* thread_api: this thread's initialised instance, or NULL when the model cannot be loaded. */
static TessBaseAPI *thread_api(void) {
    pthread_once(&key_once, key_init);
    TessBaseAPI *api = pthread_getspecific(api_key);
    if (api) return api;
    if (!(api = TessBaseAPICreate())) return NULL;
    if (TessBaseAPIInit3(api, NULL, "eng") != 0) {
        TessBaseAPIDelete(api);
        return NULL;
    }
    TessBaseAPISetVariable(api, "debug_file", "/dev/null");
    pthread_setspecific(api_key, api);
    return api;
}

int ocr_available(void) { return thread_api() != NULL; }

int ocr_image_text(const uint8_t *data, size_t len, char **text, vt_error *err) {
    *text = NULL;
    TessBaseAPI *api = thread_api();
    if (!api) return vt_fail(err, VT_EUNSUPPORTED, "OCR: cannot load Tesseract's English model (tesseract-ocr-eng)");
    PIX *pix = pixReadMem(data, len);
    if (!pix) return vt_fail(err, VT_ECORRUPT, "OCR: the image cannot be decoded");
    TessBaseAPISetImage2(api, pix);
    char *out = TessBaseAPIGetUTF8Text(api);
    TessBaseAPIClear(api);
    pixDestroy(&pix);
    size_t n = out ? strlen(out) : 0;
    char *copy = vt_malloc(n + 1);
    if (!copy) {
        TessDeleteText(out);
        return vt_fail(err, VT_ENOMEM, "OCR: out of memory");
    }
    if (n) memcpy(copy, out, n);
    copy[n] = '\0';
    TessDeleteText(out);
    *text = copy;
    return VT_OK;
}
