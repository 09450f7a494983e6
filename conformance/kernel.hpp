// conformance/kernel.hpp — run a litmus program on the real kernel, with real
// processes, and observe every (process, logical page) after each step.
//
// The coordinator (the calling process) forks the litmus "parent" worker; workers
// fork further workers when the program says so.  Every worker runs a command
// loop on a pair of pipes created before the first fork (one pair per process
// of the program): the coordinator sends one command, the worker performs it in
// its own address space and answers.  A user load or store runs under a SIGSEGV
// handler (sigsetjmp/siglongjmp), so an access the kernel refuses is the result
// "SIGSEGV"; a failing system call is its errno name.
//
// The arena: the parent worker reserves arena_slots + 2 pages with PROT_NONE and
// unmaps the inner arena_slots pages, leaving one PROT_NONE guard page on each
// side, so program mappings never merge with anything else; workers map nothing
// else (they allocate nothing after start).  THP is off for the workers
// (prctl(PR_SET_THP_DISABLE), inherited by fork) and every program mapping gets
// MADV_NOHUGEPAGE, so every folio is a single page.  Every worker runs on one cpu
// (sched_setaffinity), so the reuse of a page in do_wp_page does not depend on which
// cpu's LRU batch still holds it (see run()).
//
// Observation (by the coordinator, as root): /proc/<pid>/maps (vma permissions),
// /proc/<pid>/pagemap (bit 63 present, 62 swapped, 56 mapped exactly once, PFN),
// /proc/kpagecount (map count; the shared zero page reads 0), /proc/kpageflags
// (KPF_ANON 12, KPF_ZERO_PAGE 24, bit 34 = PG_mappedtodisk = PG_anon_exclusive on
// anonymous pages), and the value through /proc/<pid>/mem, only for a present
// page (reading a non-present one would fault it in).  An exit is complete when
// the worker's pidfd reports it (exit_mm -> mmput ran before exit_notify).
#pragma once
#include <cerrno>
#include <csetjmp>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <poll.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "litmus.hpp"

namespace litmus::kernel {

inline constexpr long page_size = 4096;

/// One command from the coordinator to a worker.
struct command {
    int k;                 // kind, or -1: report the arena base
    int child = -1;        // fork: index of the child's pipes
    int prot = 0, advice = 0;
    long addr = 0, len = 0, new_len = 0, new_addr = 0;
    std::int64_t value = 0;
};

/// A worker's answer.
struct reply {
    int result = 0;        // 0 ok, -1 SIGSEGV, > 0 errno
    std::int64_t value = 0;   // read: the value; fork: the child's pid; arena: the base
};

namespace detail {

inline sigjmp_buf segv_jmp;
inline void on_segv(int) { siglongjmp(segv_jmp, 1); }

/// A user load or store at addr; false if it raised SIGSEGV.
[[gnu::noinline]] inline bool guarded_access(long addr, bool store, std::int64_t& value) {
    if (sigsetjmp(segv_jmp, 1) != 0) return false;
    if (store)
        *reinterpret_cast<volatile std::int64_t*>(addr) = value;
    else
        value = *reinterpret_cast<volatile std::int64_t*>(addr);
    return true;
}

inline bool write_all(int fd, const void* p, std::size_t n) {
    const char* c = static_cast<const char*>(p);
    while (n) {
        const ssize_t w = ::write(fd, c, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return false;
        c += w;
        n -= static_cast<std::size_t>(w);
    }
    return true;
}
inline bool read_all(int fd, void* p, std::size_t n) {
    char* c = static_cast<char*>(p);
    while (n) {
        const ssize_t r = ::read(fd, c, n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return false;
        c += r;
        n -= static_cast<std::size_t>(r);
    }
    return true;
}

struct pipes {
    int cmd[2], rep[2];
};

/// The command loop of worker `me`; never returns.
[[noreturn]] inline void worker(std::vector<pipes>& ps, int me, long base) {
    struct sigaction sa {};
    sa.sa_handler = on_segv;
    sa.sa_flags = SA_NODEFER;
    sigaction(SIGSEGV, &sa, nullptr);
    signal(SIGCHLD, SIG_IGN);   // exited children are reaped at once (no zombie holds anything)
    for (;;) {
        command c;
        if (!read_all(ps[me].cmd[0], &c, sizeof c)) _exit(0);   // coordinator gone
        reply r;
        auto sys = [&](long rc) { r.result = rc == -1 ? errno : 0; };
        switch (c.k) {
            case -1: r.value = base; break;
            case static_cast<int>(kind::mmap): {
                void* got = mmap(reinterpret_cast<void*>(c.addr), static_cast<std::size_t>(c.len), PROT_READ | PROT_WRITE,
                                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
                if (got == MAP_FAILED) {
                    r.result = errno;
                } else if (got != reinterpret_cast<void*>(c.addr)) {   // pre-4.17 kernels ignore NOREPLACE
                    munmap(got, static_cast<std::size_t>(c.len));
                    r.result = EEXIST;
                } else {
                    madvise(got, static_cast<std::size_t>(c.len), MADV_NOHUGEPAGE);
                }
                break;
            }
            case static_cast<int>(kind::read):
                if (!guarded_access(c.addr, false, r.value)) r.result = -1;
                break;
            case static_cast<int>(kind::write):
                if (!guarded_access(c.addr, true, c.value)) r.result = -1;
                break;
            case static_cast<int>(kind::mem_write): {
                // write(2) to /proc/self/mem (opened here: each process its own mm).
                const int fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
                if (fd < 0) {
                    r.result = errno;
                    break;
                }
                const ssize_t w = pwrite(fd, &c.value, sizeof c.value, static_cast<off_t>(c.addr));
                r.result = w == static_cast<ssize_t>(sizeof c.value) ? 0 : w < 0 ? errno : EIO;
                close(fd);
                break;
            }
            case static_cast<int>(kind::munmap): sys(munmap(reinterpret_cast<void*>(c.addr), static_cast<std::size_t>(c.len))); break;
            case static_cast<int>(kind::mprotect):
                sys(mprotect(reinterpret_cast<void*>(c.addr), static_cast<std::size_t>(c.len), c.prot));
                break;
            case static_cast<int>(kind::madvise):
                sys(madvise(reinterpret_cast<void*>(c.addr), static_cast<std::size_t>(c.len), c.advice));
                break;
            case static_cast<int>(kind::mremap): {
                void* got = mremap(reinterpret_cast<void*>(c.addr), static_cast<std::size_t>(c.len),
                                   static_cast<std::size_t>(c.new_len), MREMAP_MAYMOVE | MREMAP_FIXED,
                                   reinterpret_cast<void*>(c.new_addr));
                r.result = got == MAP_FAILED ? errno : 0;
                break;
            }
            case static_cast<int>(kind::fork): {
                const pid_t pid = fork();
                if (pid == 0) {
                    me = c.child;
                    continue;   // the child serves its own pipes; the parent answers
                }
                if (pid < 0) r.result = errno;
                r.value = pid;
                break;
            }
            case static_cast<int>(kind::exit):
                (void)write_all(ps[me].rep[1], &r, sizeof r);
                _exit(0);
            default: r.result = EINVAL;
        }
        if (!write_all(ps[me].rep[1], &r, sizeof r)) _exit(120);
    }
}

inline std::string errno_name(int e) {
    const char* n = strerrorname_np(e);
    return n ? n : "E" + std::to_string(e);
}

inline std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

inline std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

inline bool pread64_at(int fd, std::uint64_t& out, off_t off) {
    return pread(fd, &out, sizeof out, off) == static_cast<ssize_t>(sizeof out);
}

}  // namespace detail

/// Does this kernel map the shared zero page on a read fault of private anonymous memory
/// (mm/memory.c do_anonymous_page), or allocate a page there (mm_forbids_zeropage(), or a
/// kernel booted with pvm_no_zero_page=1)?  Reads one fresh page (THP off for it) and asks
/// /proc/kpageflags (KPF_ZERO_PAGE).  Needs what unobservable() checks.
inline bool zero_page_on_read() {
    void* p = mmap(nullptr, page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::runtime_error("mmap: " + std::string(strerror(errno)));
    madvise(p, page_size, MADV_NOHUGEPAGE);
    (void)*static_cast<volatile char*>(p);
    std::uint64_t e = 0, flags = 0;
    const int pm = open("/proc/self/pagemap", O_RDONLY), kf = open("/proc/kpageflags", O_RDONLY);
    const bool ok = pm >= 0 && kf >= 0 &&
                    detail::pread64_at(pm, e, static_cast<off_t>(reinterpret_cast<std::uintptr_t>(p) / page_size * 8)) &&
                    (e >> 63) && detail::pread64_at(kf, flags, static_cast<off_t>((e & ((1ull << 55) - 1)) * 8));
    if (pm >= 0) close(pm);
    if (kf >= 0) close(kf);
    munmap(p, page_size);
    if (!ok) throw std::runtime_error("zero page probe: cannot read the page's PFN and flags");
    return flags >> 24 & 1;
}

/// Kernel version and the configuration the observations belong to.
inline json header() {
    utsname u{};
    uname(&u);
    std::string thp = detail::trim(detail::read_text("/sys/kernel/mm/transparent_hugepage/enabled"));
    std::string ksm = detail::trim(detail::read_text("/sys/kernel/mm/ksm/run"));
    json swaps = json::array();
    std::istringstream sw(detail::read_text("/proc/swaps"));
    std::string l;
    std::getline(sw, l);   // column titles
    while (std::getline(sw, l))
        if (!l.empty()) swaps.push_back(l.substr(0, l.find_first_of(" \t")));
    return {{"type", "header"}, {"source", "kernel"}, {"kernel", std::string(u.release) + " " + u.version},
            {"machine", u.machine}, {"thp_enabled", thp.empty() ? json(nullptr) : json(thp)},
            {"swap", swaps}, {"ksm_run", ksm.empty() ? json(nullptr) : json(ksm)},
            {"zero_page_on_read", zero_page_on_read()},
            {"thp_for_arena", "off (PR_SET_THP_DISABLE, MADV_NOHUGEPAGE)"}};
}

/// Why the kernel cannot be observed here, or "" when it can: the runner needs root
/// (CAP_SYS_ADMIN) for PFNs in pagemap and for /proc/kpagecount, /proc/kpageflags.
inline std::string unobservable() {
    if (geteuid() != 0) return "needs root (pagemap PFNs and /proc/kpage* are hidden otherwise)";
    if (access("/proc/self/pagemap", R_OK) != 0) return "no /proc/self/pagemap";
    if (access("/proc/kpagecount", R_OK) != 0 || access("/proc/kpageflags", R_OK) != 0)
        return "no /proc/kpagecount or /proc/kpageflags (CONFIG_PROC_PAGE_MONITOR off)";
    // A page of our own that is surely present: do the PFNs read non-zero?
    static volatile std::uint64_t probe = 1;
    probe = probe + 1;
    const int fd = open("/proc/self/pagemap", O_RDONLY);
    std::uint64_t e = 0;
    const bool ok = fd >= 0 && detail::pread64_at(fd, e, static_cast<off_t>(reinterpret_cast<std::uintptr_t>(&probe) / page_size * 8));
    if (fd >= 0) close(fd);
    if (!ok || !(e >> 63) || (e & ((1ull << 55) - 1)) == 0) return "pagemap PFNs read 0 (needs CAP_SYS_ADMIN)";
    return "";
}

/// Run program `p` on this kernel.  Throws std::runtime_error on an internal failure.
inline trace run(const program& p) {
    using detail::pipes;
    trace t;
    t.header = header();
    std::vector<pipes> ps(p.procs.size());
    std::map<std::string, int> index;
    for (std::size_t i = 0; i < p.procs.size(); ++i) {
        index[p.procs[i]] = static_cast<int>(i);
        if (pipe2(ps[i].cmd, O_CLOEXEC) != 0 || pipe2(ps[i].rep, O_CLOEXEC) != 0)
            throw std::runtime_error("pipe: " + std::string(strerror(errno)));
    }
    // The cpu every worker runs on: the first one this process may use.
    int run_cpu = 0;
    {
        cpu_set_t allowed;
        CPU_ZERO(&allowed);
        if (sched_getaffinity(0, sizeof allowed, &allowed) == 0)
            while (run_cpu < CPU_SETSIZE - 1 && !CPU_ISSET(run_cpu, &allowed)) ++run_cpu;
    }
    std::vector<pid_t> pid(p.procs.size(), -1);
    std::vector<int> pidfd(p.procs.size(), -1);
    // The litmus parent.
    const pid_t first = fork();
    if (first < 0) throw std::runtime_error("fork: " + std::string(strerror(errno)));
    if (first == 0) {
        // Only the coordinator keeps the command write ends: when it goes away, every
        // worker reads EOF and exits (no worker is left blocked).
        for (auto& pp : ps) {
            close(pp.cmd[1]);
            close(pp.rep[0]);
        }
        prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
        // Every worker on one cpu (inherited by fork), as the predictor runs every access on
        // cpu0: a new page sits in that cpu's LRU batch (holding a reference) until drained,
        // and wp_can_reuse_anon_folio() drains only the local batch, so a worker on another
        // cpu would copy a page it could reuse.  On one cpu the drain always finds it.
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(run_cpu, &one);
        sched_setaffinity(0, sizeof one, &one);
        void* r = mmap(nullptr, (arena_slots + 2) * page_size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (r == MAP_FAILED) _exit(121);
        const long base = reinterpret_cast<long>(r) + page_size;
        munmap(reinterpret_cast<void*>(base), arena_slots * page_size);
        detail::worker(ps, 0, base);
    }
    pid[0] = first;
    auto open_pidfd = [](pid_t pd) { return static_cast<int>(syscall(SYS_pidfd_open, pd, 0)); };
    pidfd[0] = open_pidfd(first);
    auto ask = [&](int who, const command& c) {
        if (!detail::write_all(ps[who].cmd[1], &c, sizeof c))
            throw std::runtime_error("cannot send to worker " + p.procs[who]);
        reply r;
        pollfd pf{ps[who].rep[0], POLLIN, 0};
        int ready;
        while ((ready = poll(&pf, 1, 10000)) < 0 && errno == EINTR) {}
        if (ready == 0) throw std::runtime_error("worker " + p.procs[who] + " did not answer within 10 s");
        if (!detail::read_all(ps[who].rep[0], &r, sizeof r))
            throw std::runtime_error("worker " + p.procs[who] + " died");
        return r;
    };
    const long base = static_cast<long>(ask(0, command{-1}).value);
    auto addr = [&](int slot) { return base + slot * page_size; };

    const int kpagecount = open("/proc/kpagecount", O_RDONLY);
    const int kpageflags = open("/proc/kpageflags", O_RDONLY);
    procs book;
    int n = 0;
    std::vector<json> prev_obs;
    std::vector<std::optional<std::uint64_t>> prev_pfns;
    for (const auto& o : p.ops) {
        ++n;
        const int who = index.at(o.proc);
        command c{static_cast<int>(o.k)};
        const int s0 = book.start_slot(o);
        c.addr = addr(s0);
        c.len = o.npages * page_size;
        switch (o.k) {
            case kind::mmap: c.addr = addr(o.at); break;
            case kind::mremap: c.new_len = o.new_npages * page_size; c.new_addr = addr(o.at); break;
            case kind::write:
            case kind::mem_write: c.value = o.value; break;
            case kind::mprotect: c.prot = o.prot == "rw" ? PROT_READ | PROT_WRITE : o.prot == "r" ? PROT_READ : PROT_NONE; break;
            case kind::madvise:
                c.advice = o.advice == "DONTNEED" ? MADV_DONTNEED : o.advice == "DONTFORK" ? MADV_DONTFORK : MADV_WIPEONFORK;
                break;
            case kind::fork: c.child = index.at(o.child); break;
            default: break;
        }
        const reply r = ask(who, c);
        json line = op_line(o, n);
        line["result"] = r.result == 0 ? std::string("ok") : r.result < 0 ? std::string("SIGSEGV") : detail::errno_name(r.result);
        if (o.k == kind::read && r.result == 0) line["value"] = r.value;
        if (o.k == kind::fork && r.result == 0) {
            pid[c.child] = static_cast<pid_t>(r.value);
            pidfd[c.child] = open_pidfd(pid[c.child]);
        }
        if (o.k == kind::exit) {   // wait until the process is gone (its mm torn down)
            pollfd pf{pidfd[who], POLLIN, 0};
            while (poll(&pf, 1, 5000) < 0 && errno == EINTR) {}
            close(pidfd[who]);
            pidfd[who] = -1;
            if (who == 0) waitpid(pid[0], nullptr, 0);
        }
        book.after(o, r.result == 0);

        // Observe.
        trace::step st;
        st.op = line;
        std::vector<std::optional<std::uint64_t>> pfns;
        std::map<std::string, std::string> maps;
        for (const auto& k : book.observed()) {
            const int w = index.at(k.proc);
            const std::string dir = "/proc/" + std::to_string(pid[w]);
            if (!maps.count(k.proc)) maps[k.proc] = detail::read_text(dir + "/maps");
            json ob = obs_line(n, k);
            const std::uint64_t a = static_cast<std::uint64_t>(addr(k.slot));
            // vma: the permissions of the mapping holding the address.
            json vma = nullptr;
            std::istringstream ms(maps[k.proc]);
            std::string ml;
            while (std::getline(ms, ml)) {
                unsigned long lo = 0, hi = 0;
                char perms[5] = {};
                if (std::sscanf(ml.c_str(), "%lx-%lx %4s", &lo, &hi, perms) != 3) continue;
                if (a < lo || a >= hi) continue;
                std::string pr;
                if (perms[0] == 'r') pr += 'r';
                if (perms[1] == 'w') pr += 'w';
                vma = pr.empty() ? std::string("none") : pr;
            }
            std::uint64_t e = 0;
            const int pm = open((dir + "/pagemap").c_str(), O_RDONLY);
            if (pm < 0 || !detail::pread64_at(pm, e, static_cast<off_t>(a / page_size * 8)))
                throw std::runtime_error("cannot read " + dir + "/pagemap");
            close(pm);
            const bool present = e >> 63 & 1, swapped = e >> 62 & 1, excl = e >> 56 & 1;
            const std::uint64_t pfn = e & ((1ull << 55) - 1);
            ob["vma"] = vma;
            ob["present"] = present;
            ob["swapped"] = swapped;
            ob["exclusive"] = excl;
            ob["value"] = nullptr;
            ob["anon_exclusive"] = nullptr;
            ob["mapcount"] = nullptr;
            ob["zero_page"] = nullptr;
            ob["kpageflags"] = nullptr;
            if (vma.is_null() || vma == "none") ob["value"] = "SIGSEGV";
            std::optional<std::uint64_t> id;
            if (present) {
                id = pfn;
                if (!ob["value"].is_string()) {
                    const int mem = open((dir + "/mem").c_str(), O_RDONLY);
                    std::uint64_t v = 0;
                    if (mem < 0 || !detail::pread64_at(mem, v, static_cast<off_t>(a)))
                        throw std::runtime_error("cannot read " + dir + "/mem");
                    close(mem);
                    ob["value"] = static_cast<std::int64_t>(v);
                }
                std::uint64_t cnt = 0, fl = 0;
                if (!detail::pread64_at(kpagecount, cnt, static_cast<off_t>(pfn * 8)) ||
                    !detail::pread64_at(kpageflags, fl, static_cast<off_t>(pfn * 8)))
                    throw std::runtime_error("cannot read /proc/kpagecount or /proc/kpageflags");
                const bool anon = fl >> 12 & 1, zero = fl >> 24 & 1;
                ob["mapcount"] = cnt;
                ob["zero_page"] = zero;
                ob["kpageflags"] = kpageflags_names(fl);
                if (anon) ob["anon_exclusive"] = static_cast<bool>(fl >> 34 & 1);
            }
            st.obs.push_back(ob);
            pfns.push_back(id);
        }
        link_same_pfn(st.obs, pfns);
        link_same_pfn_prev(st.obs, pfns, prev_obs, prev_pfns);
        prev_obs = st.obs;
        prev_pfns = pfns;
        for (auto& ob : st.obs) {   // field order as documented
            json sorted = {{"type", "obs"}, {"step", n}, {"proc", ob["proc"]}, {"page", ob["page"]}};
            for (const auto& f : obs_fields()) sorted[f] = ob[f];
            ob = sorted;
        }
        t.steps.push_back(std::move(st));
    }
    // Tear down: every live worker exits.
    for (const auto& k : book.order) {
        if (!book.by_name.at(k).live) continue;
        const int w = index.at(k);
        command c{static_cast<int>(kind::exit)};
        reply r;
        if (detail::write_all(ps[w].cmd[1], &c, sizeof c)) (void)detail::read_all(ps[w].rep[0], &r, sizeof r);
        if (pidfd[w] >= 0) close(pidfd[w]);
    }
    waitpid(pid[0], nullptr, 0);
    for (auto& pp : ps) {
        close(pp.cmd[0]); close(pp.cmd[1]); close(pp.rep[0]); close(pp.rep[1]);
    }
    close(kpagecount);
    close(kpageflags);
    return t;
}

}  // namespace litmus::kernel
