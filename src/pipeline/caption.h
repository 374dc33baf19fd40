/*
 * caption.h — cleaning captions scraped from the web before they are embedded and stored.
 *
 * Product captions arrive with markup ("<b>Red</b> dress&nbsp;&amp; belt"), runs of spaces,
 * newlines and tabs. caption_clean removes tags (anything from '<' that starts a tag name, '/',
 * '!' or '?' to the next '>'; a lone '<' as in "size < 10" is kept), drops the contents of
 * <script> and <style> elements, decodes character references (the common named ones and every
 * numeric one; an unknown name is kept as written), turns every run of whitespace (ASCII, NBSP and
 * the Unicode spaces) into one space, and trims both ends. Invalid UTF-8 is replaced by U+FFFD so
 * what comes out is always valid UTF-8.
 */
#ifndef VT_PIPELINE_CAPTION_H
#define VT_PIPELINE_CAPTION_H

#include <stddef.h>

#include "base/error.h"

/* caption_clean: the cleaned text of in[0..n) into *out (NUL-terminated, caller vt_free; never
 * longer than 3·n + 1 bytes). Errors: VT_ENOMEM. */
int caption_clean(const char *in, size_t n, char **out, vt_error *err);

/* caption_words: the number of words of a cleaned caption (runs of non-space). Cannot fail. */
size_t caption_words(const char *s);

#endif
