# FEEDGRAPH_FUZZ: the libFuzzer targets of tests/fuzz/ (fuzz_pipeline, fuzz_record_header, fuzz_npy_header),
# which feed arbitrary bytes to the parsers that read untrusted input. libFuzzer is part of clang, so the
# option needs clang; scripts/fuzz.sh builds and runs them (the CMake preset `fuzz`).
#
# Every target of the build is compiled with the coverage instrumentation libFuzzer steers by
# (fuzzer-no-link), AddressSanitizer and UndefinedBehaviorSanitizer, so that the engine code a parser calls
# is instrumented too; only the fuzz programs themselves link libFuzzer's main (-fsanitize=fuzzer). UBSan does
# not recover: the first report ends the run, and libFuzzer keeps the input that caused it.
if(NOT FEEDGRAPH_FUZZ)
  return()
endif()

if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "feedgraph: FEEDGRAPH_FUZZ needs clang, whose libFuzzer it links, but the C++ compiler is "
                      "${CMAKE_CXX_COMPILER_ID} (${CMAKE_CXX_COMPILER}). Configure a fresh build folder with "
                      "-DCMAKE_CXX_COMPILER=clang++, or use `cmake --preset fuzz` (Debian: apt install clang "
                      "libclang-rt-dev).")
endif()
if(FEEDGRAPH_HAVE_CUDA)
  message(FATAL_ERROR "feedgraph: FEEDGRAPH_FUZZ builds the host backend only (the parsers it fuzzes are host "
                      "code, and nvcc does not take libFuzzer's flags): add -DFEEDGRAPH_CUDA=OFF.")
endif()

set(feedgraph_fuzz_sanitizers address,undefined)
add_compile_options(-fsanitize=fuzzer-no-link,${feedgraph_fuzz_sanitizers} -fno-sanitize-recover=undefined
                    -fno-omit-frame-pointer)
add_link_options(-fsanitize=${feedgraph_fuzz_sanitizers})

# Debian packs libFuzzer's runtime (libclang_rt.fuzzer) in libclang-rt-<version>-dev, which clang itself
# does not pull in: say so here rather than with a linker error.
include(CheckCXXSourceCompiles)
set(CMAKE_REQUIRED_LINK_OPTIONS -fsanitize=fuzzer)
check_cxx_source_compiles([[
  #include <cstddef>
  #include <cstdint>
  extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t*, std::size_t) { return 0; }
]] FEEDGRAPH_LIBFUZZER_LINKS)
unset(CMAKE_REQUIRED_LINK_OPTIONS)
if(NOT FEEDGRAPH_LIBFUZZER_LINKS)
  message(FATAL_ERROR "feedgraph: clang cannot link a libFuzzer program (-fsanitize=fuzzer): its runtime, "
                      "libclang_rt.fuzzer, is missing. Debian/Ubuntu: apt install libclang-rt-dev.")
endif()
message(STATUS "feedgraph: FEEDGRAPH_FUZZ: building the libFuzzer targets with ${feedgraph_fuzz_sanitizers}")
