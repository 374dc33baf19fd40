/*
 * cpu.c — run-time detection of the SIMD instruction sets (see cpu.h).
 *
 * CPUID leaf 1 gives FMA (ECX bit 12), OSXSAVE (bit 27), AVX (bit 28), F16C (bit 29); leaf 7
 * sub-leaf 0 gives AVX2 (EBX bit 5), AVX512F (16), AVX512DQ (17), AVX512BW (30), AVX512VL (31),
 * AVX512_VNNI (ECX bit 11); leaf 7 sub-leaf 1 gives AVX512_BF16 (EAX bit 5). When OSXSAVE is set,
 * XGETBV(0) returns XCR0: bits 1|2 (SSE, AVX state) must be on for YMM, bits 5|6|7 (opmask,
 * ZMM_Hi256, Hi16_ZMM) in addition for ZMM.
 *
 * The result is computed once and cached in a static guarded by pthread_once: the only process
 * state of this module, immutable after the first call. Executing CPUID costs ~1 µs under a
 * hypervisor (it traps), so callers should not ask per product; the kernel tables ask once.
 */
#include <pthread.h>

#include "cpu.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static unsigned long long read_xcr0(void) {
    unsigned eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}

static void detect(cpu_features *f) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return;
    int osxsave = (c >> 27) & 1;
    int cpu_avx = (c >> 28) & 1, cpu_fma = (c >> 12) & 1, cpu_f16c = (c >> 29) & 1;
    if (!osxsave) return; /* no XGETBV: the OS manages no AVX state */
    unsigned long long xcr0 = read_xcr0();
    f->os_ymm = (xcr0 & 0x6) == 0x6;
    f->os_zmm = f->os_ymm && (xcr0 & 0xe0) == 0xe0;
    if (!f->os_ymm) return;
    f->avx = cpu_avx;
    f->fma = cpu_avx && cpu_fma;
    f->f16c = cpu_avx && cpu_f16c;
    unsigned max_leaf = __get_cpuid_max(0, 0);
    if (max_leaf < 7) return;
    __cpuid_count(7, 0, a, b, c, d);
    f->avx2 = cpu_avx && ((b >> 5) & 1);
    if (f->os_zmm) {
        f->avx512f = (b >> 16) & 1;
        f->avx512dq = f->avx512f && ((b >> 17) & 1);
        f->avx512bw = f->avx512f && ((b >> 30) & 1);
        f->avx512vl = f->avx512f && ((b >> 31) & 1);
        f->avx512_vnni = f->avx512f && ((c >> 11) & 1);
        unsigned a1, b1, c1, d1;
        __cpuid_count(7, 1, a1, b1, c1, d1);
        (void)b1, (void)c1, (void)d1;
        f->avx512_bf16 = f->avx512f && ((a1 >> 5) & 1);
    }
}
#else
static void detect(cpu_features *f) { (void)f; }
#endif

static cpu_features g_features; /* written once under g_once, then read-only */
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void detect_once(void) { detect(&g_features); }

const cpu_features *cpu_get_features(void) {
    pthread_once(&g_once, detect_once);
    return &g_features;
}

int cpu_level(void) {
    const cpu_features *f = cpu_get_features();
    int avx2 = f->avx2 && f->fma && f->f16c;
    if (avx2 && f->avx512f && f->avx512bw && f->avx512vl && f->avx512dq) return CPU_AVX512;
    if (avx2) return CPU_AVX2;
    return CPU_SCALAR;
}

const char *cpu_level_name(int level) {
    switch (level) {
    case CPU_AVX512: return "avx512";
    case CPU_AVX2: return "avx2";
    default: return "scalar";
    }
}
