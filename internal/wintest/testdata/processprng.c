/* bcryptprimitives.dll for Wine 8, which lacks it: Go 1.22 and later get
   their random bytes from ProcessPrng there, and a Go program stops at start
   without it. This one answers with RtlGenRandom (advapi32's
   SystemFunction036). It belongs to the Windows test harness only. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG n = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!SystemFunction036(data, n))
            return FALSE;
        data += n;
        length -= n;
    }
    return TRUE;
}
