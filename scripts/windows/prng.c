/* bcryptprimitives.dll for Wine 8, which lacks it: Rust's standard library on Windows takes
   its random bytes from ProcessPrng there; this one forwards to advapi32's RtlGenRandom
   (SystemFunction036). Only for running the Windows build under Wine in the smoke test. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
    return SystemFunction036(data, (ULONG)length);
}
