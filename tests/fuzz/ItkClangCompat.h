// Force-included in the fuzz build (clang). Debian's ITK 5.2 ships an itk_compiler_detection.h
// generated for GCC alone ("#error Unsupported compiler" under clang). It is read once here as
// the GCC 12 that built ITK would read it (its feature macros all hold for clang 14 too); its
// include guard then makes ITK's own inclusion a no-op. Nothing else changes.
#if defined(__clang__) && defined(__cplusplus) && __has_include(<itk_compiler_detection.h>)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wbuiltin-macro-redefined"
#pragma push_macro("__clang__")
#pragma push_macro("__GNUC__")
#pragma push_macro("__GNUC_MINOR__")
#undef __clang__
#undef __GNUC__
#undef __GNUC_MINOR__
#define __GNUC__ 12
#define __GNUC_MINOR__ 2
#include <itk_compiler_detection.h>
#pragma pop_macro("__GNUC_MINOR__")
#pragma pop_macro("__GNUC__")
#pragma pop_macro("__clang__")
#pragma clang diagnostic pop
#endif
