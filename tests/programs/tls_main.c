/* Two threads and the main thread each bump their own copy of a _Thread_local variable
 * through functions rulesel compiled (tls_value under tls_model=elf_gd), and C reads and writes
 * the same copies. */
#include <pthread.h>
#include <stdio.h>

_Thread_local long counter = 5;

long bump(long by);       /* counter += by; the new value */
long read_counter(void);  /* counter */

static void *worker(void *arg) {
    long by = (long)arg;
    for (int i = 0; i < 1000; i++) {
        bump(by);
    }
    if (counter != read_counter()) {
        return (void *)-1;
    }
    return (void *)read_counter();
}

int main(void) {
    pthread_t a, b;
    void *ra, *rb;
    pthread_create(&a, 0, worker, (void *)1);
    pthread_create(&b, 0, worker, (void *)3);
    counter = 7;
    long seen = read_counter();
    long bumped = bump(2);
    pthread_join(a, &ra);
    pthread_join(b, &rb);
    printf("%ld %ld %ld %ld %ld\n", (long)ra, (long)rb, seen, bumped, counter);
    return 0;
}
