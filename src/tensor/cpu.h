/*
 * cpu.h — which SIMD instruction sets this CPU and its OS let us use, detected once.
 *
 * The kernels in *_avx512.c / *_avx2.c are compiled with those instruction sets and must only run
 * when cpu_level() says so; everything else is compiled for plain x86-64 (or any architecture,
 * where cpu_level() is CPU_SCALAR). A feature counts only when the CPU reports it (CPUID) *and*
 * the OS saves the matching register state on context switches (XGETBV: XCR0 bits 1-2 for YMM,
 * 5-7 for the opmask and ZMM registers) — a hypervisor may expose AVX-512 in CPUID yet not enable
 * it in XCR0.
 */
#ifndef VT_TENSOR_CPU_H
#define VT_TENSOR_CPU_H

enum cpu_level {
    CPU_SCALAR = 0, /* no usable SIMD beyond the x86-64 baseline */
    CPU_AVX2 = 1,   /* AVX2 + FMA + F16C with YMM state enabled */
    CPU_AVX512 = 2  /* AVX2 level + AVX-512 F/BW/VL/DQ with ZMM state enabled */
};

typedef struct cpu_features {
    int avx, avx2, fma, f16c;               /* 1 when usable (CPU and OS) */
    int avx512f, avx512bw, avx512vl, avx512dq;
    int avx512_vnni, avx512_bf16;           /* reported for information; no kernel needs them */
    int os_ymm, os_zmm;                     /* XCR0 enables YMM / opmask+ZMM state */
} cpu_features;

/* cpu_get_features: the detected features (detected on first call; the result is immutable and
 * shared). Cannot fail. Thread-safe. */
const cpu_features *cpu_get_features(void);

/* cpu_level: the highest enum cpu_level fully usable here. Cannot fail. Thread-safe. */
int cpu_level(void);

/* cpu_level_name: "avx512", "avx2" or "scalar". */
const char *cpu_level_name(int level);

#endif
