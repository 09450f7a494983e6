// conformance/probes/vmsplice_unshare.c — does vmsplice() of a COW-shared anonymous page unshare it?
// (a FOLL_PIN read-only GUP would: gup_must_unshare; a FOLL_GET reference does not.)
// Build and run as root: gcc -O1 -o vs conformance/probes/vmsplice_unshare.c && ./vs
// On 6.18.44 (x86_64): the child's PFN is unchanged by vmsplice (no unshare), the parent's
// next write copies the page (refcount > 1) and the pipe still reads the old data 'A'.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
static uint64_t pfn(void *p) {
    int fd = open("/proc/self/pagemap", O_RDONLY); uint64_t e = 0;
    pread(fd, &e, 8, (uintptr_t)p / 4096 * 8); close(fd); return e & ((1ull << 55) - 1);
}
int main(void) {
    setvbuf(stdout, 0, _IONBF, 0);
    char *p = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    madvise(p, 4096, MADV_NOHUGEPAGE);
    p[0] = 'A';
    printf("parent pfn before fork %lx\n", pfn(p));
    if (fork() == 0) {
        int fds[2]; pipe(fds);
        printf("child pfn before vmsplice %lx\n", pfn(p));
        struct iovec iov = {p, 4096};
        long n = vmsplice(fds[1], &iov, 1, 0);
        printf("vmsplice %ld, child pfn after %lx\n", n, pfn(p));
        munmap(p, 4096);
        sleep(1);
        char buf[8]; read(fds[0], buf, 1);
        printf("child pipe_read after parent's write: %c\n", buf[0]);
        _exit(0);
    }
    usleep(300000);
    printf("parent pfn after child's vmsplice %lx\n", pfn(p));
    p[0] = 'B';
    printf("parent pfn after write %lx\n", pfn(p));
    wait(0);
    return 0;
}
