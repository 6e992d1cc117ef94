/*
 * crc32c_int.h - the two CRC32C implementations, shared with their test.
 * Not part of the common module's contract: include only inside common/ and
 * tests/common/.
 */
#ifndef WT_CRC32C_INT_H
#define WT_CRC32C_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** CRC32C by slicing-by-8 tables (same contract as wt_crc32c). */
uint32_t wt__crc32c_sw(uint32_t crc, const void *p, size_t n);

/**
 * CRC32C by the SSE4.2 crc32 instruction. Call only when
 * wt__crc32c_hw_available(); elsewhere (or off x86-64) it is the table code.
 */
uint32_t wt__crc32c_hw(uint32_t crc, const void *p, size_t n);

/** @returns true when this CPU has SSE4.2 and wt_crc32c uses it. */
bool wt__crc32c_hw_available(void);

#endif /* WT_CRC32C_INT_H */
