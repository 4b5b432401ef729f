/* A throw runtime for rulesel objects, written only from the documented layout of the
 * `rulesel_exceptions` section (src/obj.rs): `rulesel_throw(tag, payload1, payload2)` walks the
 * frames above it by frame pointer and resumes at the first handler for `tag`. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const unsigned char __start_rulesel_exceptions[];
extern const unsigned char __stop_rulesel_exceptions[];

static int32_t word(const unsigned char *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* The handler for `tag` of the try_call returning to `pc`, or 0; its sp_below_fp in `*below`. */
static uintptr_t find_handler(uintptr_t pc, uint32_t tag, uint32_t *below) {
    const unsigned char *p = __start_rulesel_exceptions;
    while (p < __stop_rulesel_exceptions) {
        uintptr_t ret = (uintptr_t)p + word(p);
        uint32_t handlers = (uint32_t)word(p + 8), contexts = (uint32_t)word(p + 12);
        const unsigned char *h = p + 16;
        for (uint32_t i = 0; i < handlers; i++, h += 12) {
            if (ret == pc && (word(h + 4) || (uint32_t)word(h) == tag)) {
                *below = (uint32_t)word(p + 4);
                return (uintptr_t)(h + 8) + word(h + 8);
            }
        }
        p = h + 4 * contexts;
    }
    return 0;
}

__attribute__((noinline, noreturn)) void rulesel_throw(uint32_t tag, uint64_t payload1,
                                                       uint64_t payload2) {
    uintptr_t *fp = __builtin_frame_address(0);
    for (int depth = 0; depth < 64 && fp; depth++) {
        uintptr_t pc = fp[1];
        fp = (uintptr_t *)fp[0];
        uint32_t below;
        uintptr_t handler = find_handler(pc, tag, &below);
        if (handler) {
            register uint64_t p2 __asm__("r8") = payload2;
            register uintptr_t target __asm__("r9") = handler;
            __asm__ volatile("mov %%rsi, %%rsp\n\t"
                             "mov %%rdi, %%rbp\n\t"
                             "mov %%rcx, %%rax\n\t"
                             "mov %%r8, %%rdx\n\t"
                             "jmp *%%r9"
                             :
                             : "S"((uintptr_t)fp - below), "D"(fp), "c"(payload1), "r"(p2),
                               "r"(target)
                             : "memory");
            __builtin_unreachable();
        }
    }
    fprintf(stderr, "rulesel_throw: no handler for tag %u\n", tag);
    abort();
}
