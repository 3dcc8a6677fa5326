#pragma once
// FEEDGRAPH_VECTOR_CLONES: compile a hot loop three times, for AVX-512, AVX2 and baseline x86-64, and let the
// loader pick one for the CPU it runs on (gcc's target_clones, an ifunc).
//
//   FEEDGRAPH_VECTOR_CLONES void fill(float* dst, std::size_t n);
//
// Under ThreadSanitizer the clones are left out and the loop is built once, for the baseline: the loader
// calls an ifunc's resolver while it relocates the program, before the TSan runtime is set up, and gcc
// instruments the resolver like any function, so every instrumented binary crashed before main (SIGSEGV
// in fill_f32's resolver in ld.so). The baseline loop is the same code, only slower.

#if defined(__SANITIZE_THREAD__)
#define FEEDGRAPH_VECTOR_CLONES
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define FEEDGRAPH_VECTOR_CLONES
#endif
#endif

#ifndef FEEDGRAPH_VECTOR_CLONES
#define FEEDGRAPH_VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#endif
