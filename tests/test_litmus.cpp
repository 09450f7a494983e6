// tests/test_litmus.cpp — litmus programs (conformance/README.md): parse errors,
// the model's predictions against hand-written expectations, and the whole suite
// compared with the real kernel (skipped, with the reason, when not root).
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "cli_run.hpp"
#include "conformance/compare.hpp"
#include "conformance/predict.hpp"

using cli_test::run;

namespace {

const std::string suite = std::string(COWCHECK_SOURCE_DIR) + "/conformance/litmus";

litmus::program program_of(const std::string& text, const std::string& name = "t.jsonl") {
    std::istringstream in(text);
    return litmus::parse(in, name);
}

/// The record of (step, proc, page) in a trace.
const litmus::json& record(const litmus::trace& t, int step, const std::string& proc, int page) {
    for (const auto& o : t.steps.at(static_cast<std::size_t>(step - 1)).obs)
        if (o["proc"] == proc && o["page"] == page) return o;
    FAIL("no record for step " << step << " " << proc << ":" << page);
    throw;
}

std::string temp_file(const std::string& name, const std::string& text) {
    const auto p = std::filesystem::temp_directory_path() / ("cowcheck_litmus_" + std::to_string(getpid()) + "_" + name);
    std::ofstream(p) << text;
    return p.string();
}

}  // namespace

TEST_CASE("litmus: malformed programs are input errors naming the line (exit 2)", "[litmus]") {
    const std::vector<std::pair<std::string, std::string>> bad = {
        {"not_json", "{\"op\": \"mmap\", \"page\": 0}\nnot json\n"},
        {"unknown_op", "{\"op\": \"mmap\", \"page\": 0}\n{\"op\": \"teleport\", \"page\": 0}\n"},
        {"missing_value", "{\"op\": \"mmap\", \"page\": 0}\n{\"op\": \"write\", \"page\": 0}\n"},
        {"unknown_proc", "{\"op\": \"mmap\", \"page\": 0}\n{\"proc\": \"ghost\", \"op\": \"read\", \"page\": 0}\n"},
        {"fork_twice", "{\"op\": \"fork\", \"child\": \"c\"}\n{\"op\": \"fork\", \"child\": \"c\"}\n"},
        {"exited", "{\"op\": \"fork\", \"child\": \"c\"}\n{\"proc\": \"c\", \"op\": \"exit\"}\n{\"proc\": \"c\", \"op\": \"read\", \"page\": 0}\n"},
        {"bad_prot", "{\"op\": \"mmap\", \"page\": 0}\n{\"op\": \"mprotect\", \"page\": 0, \"prot\": \"rwx\"}\n"},
        {"unknown_field", "{\"op\": \"mmap\", \"page\": 0, \"colour\": 3}\n"},
        {"empty", "\n"},
    };
    for (const auto& [name, text] : bad) {
        INFO(name);
        CHECK_THROWS_AS(program_of(text), litmus::bad_input);
        const std::string f = temp_file(name + ".jsonl", text);
        for (const char* cmd : {"litmus predict ", "litmus check ", "litmus run "}) {
            const auto r = run(cmd + f);
            INFO(cmd << r.out);
            CHECK(r.code == 2);
            CHECK(cli_test::lines(r.out) == 1);
            CHECK(r.out.find(f + ":") != std::string::npos);   // names file and line
        }
        std::filesystem::remove(f);
    }
    // The line number is the file's.
    try {
        program_of("{\"op\": \"mmap\", \"page\": 0}\n\n{\"op\": \"write\", \"page\": 0}\n");
        FAIL("no error");
    } catch (const litmus::bad_input& e) {
        CHECK(std::string(e.what()).rfind("t.jsonl:3: ", 0) == 0);
    }
}

TEST_CASE("litmus: programs outside the model's coverage are refused by predict (exit 2)", "[litmus]") {
    for (const char* text : {
             "{\"op\": \"mmap\", \"page\": 0, \"at\": 8}\n",                                      // beyond 8 pages per mm
             "{\"op\": \"mmap\", \"page\": 0}\n{\"op\": \"mprotect\", \"page\": 0, \"prot\": \"none\"}\n",
             "{\"op\": \"mmap\", \"page\": 0}\n{\"op\": \"write\", \"page\": 0, \"value\": 300}\n",  // 8-bit data
             "{\"op\": \"mmap\", \"page\": 0}\n{\"op\": \"mremap\", \"page\": 0, \"new_npages\": 2, \"at\": 4}\n",
             "{\"op\": \"mmap\", \"page\": 0}\n{\"op\": \"mmap\", \"page\": 2}\n{\"op\": \"munmap\", \"page\": 0, \"npages\": 3}\n",
         }) {
        INFO(text);
        CHECK_THROWS_AS(litmus::predict::run(program_of(text)), litmus::predict::outside_model);
    }
    std::string forks = "{\"op\": \"mmap\", \"page\": 0}\n";
    for (int i = 0; i < 8; ++i) forks += "{\"op\": \"fork\", \"child\": \"c" + std::to_string(i) + "\"}\n";
    const std::string f = temp_file("many_forks.jsonl", forks);
    const auto r = run("litmus predict " + f);
    CHECK(r.code == 2);
    CHECK(r.out.find("outside the model") != std::string::npos);
    std::filesystem::remove(f);
}

TEST_CASE("litmus predict: fork then child write, as cow.c expects", "[litmus]") {
    const auto t = litmus::predict::run(litmus::parse_file(suite + "/fork_child_write.jsonl"));
    REQUIRE(t.steps.size() == 6);
    // step 2: the parent's write fault made a new exclusive page.
    const auto& w = record(t, 2, "parent", 0);
    CHECK(w["value"] == 1);
    CHECK(w["present"] == true);
    CHECK(w["exclusive"] == true);
    CHECK(w["anon_exclusive"] == true);
    CHECK(w["mapcount"] == 1);
    CHECK(w["zero_page"] == false);
    CHECK(w["kpageflags"] == litmus::json::array({"UPTODATE", "MMAP", "ANON", "SWAPBACKED"}));
    // step 3: fork shares the page, clears PageAnonExclusive, map count 2.
    for (const char* who : {"parent", "child1"}) {
        const auto& r = record(t, 3, who, 0);
        CHECK(r["value"] == 1);
        CHECK(r["exclusive"] == false);
        CHECK(r["anon_exclusive"] == false);
        CHECK(r["mapcount"] == 2);
    }
    CHECK(record(t, 3, "parent", 0)["same_pfn_as"].is_null());
    CHECK(record(t, 3, "child1", 0)["same_pfn_as"] == "parent:0");
    // step 4: the child's write copies; the parent's page is mapped once but not PageAnonExclusive.
    const auto& p = record(t, 4, "parent", 0);
    const auto& c = record(t, 4, "child1", 0);
    CHECK(p["value"] == 1);
    CHECK(p["mapcount"] == 1);
    CHECK(p["exclusive"] == true);
    CHECK(p["anon_exclusive"] == false);
    CHECK(c["value"] == 2);
    CHECK(c["anon_exclusive"] == true);
    CHECK(c["same_pfn_as"].is_null());
    CHECK(t.steps[4].op["result"] == "ok");
    CHECK(t.steps[4].op["value"] == 1);   // the parent's read
    CHECK(t.steps[5].op["value"] == 2);   // the child's read
}

TEST_CASE("litmus predict: zero page, DONTFORK and read-only writes", "[litmus]") {
    const auto z = litmus::predict::run(litmus::parse_file(suite + "/read_zero_page.jsonl"));
    const auto& z1 = record(z, 3, "parent", 1);
    CHECK(z1["zero_page"] == true);
    CHECK(z1["mapcount"] == 0);
    CHECK(z1["exclusive"] == false);
    CHECK(z1["anon_exclusive"].is_null());
    CHECK(z1["same_pfn_as"] == "parent:0");
    CHECK(record(z, 1, "parent", 0)["value"].is_null());   // mapped, not present
    CHECK(record(z, 1, "parent", 0)["mapcount"].is_null());
    CHECK(record(z, 1, "parent", 0)["kpageflags"].is_null());
    CHECK(z1["kpageflags"] == litmus::json::array({"ZERO_PAGE"}));

    const auto d = litmus::predict::run(litmus::parse_file(suite + "/dontfork.jsonl"));
    const auto& d0 = record(d, 6, "child1", 0);
    CHECK(d0["vma"].is_null());
    CHECK(d0["value"] == "SIGSEGV");
    CHECK(record(d, 6, "parent", 0)["exclusive"] == true);
    CHECK(record(d, 6, "parent", 0)["anon_exclusive"] == true);
    CHECK(d.steps[6].op["result"] == "SIGSEGV");
    CHECK(d.steps[7].op["result"] == "ok");

    const auto m = litmus::predict::run(litmus::parse_file(suite + "/mprotect_ro_write.jsonl"));
    CHECK(m.steps[4].op["result"] == "SIGSEGV");
    CHECK(record(m, 5, "parent", 1)["value"] == 2);
    CHECK(record(m, 5, "parent", 1)["vma"] == "r");
    CHECK(record(m, 5, "parent", 0)["vma"] == "rw");
    CHECK(m.steps[8].op["result"] == "ok");
    CHECK(record(m, 9, "parent", 1)["value"] == 5);
}

TEST_CASE("litmus predict: a kernel without the zero page allocates on a read fault", "[litmus]") {
    // mm_forbids_zeropage() (model::config::zero_page false): the read fault of
    // do_anonymous_page() takes the write fault's path without the store.
    const auto z = litmus::predict::run(litmus::parse_file(suite + "/read_zero_page.jsonl"), {}, false);
    CHECK(z.header["zero_page_on_read"] == false);
    const auto& z1 = record(z, 3, "parent", 1);
    CHECK(z1["zero_page"] == false);
    CHECK(z1["mapcount"] == 1);
    CHECK(z1["exclusive"] == true);
    CHECK(z1["anon_exclusive"] == true);
    CHECK(z1["value"] == 0);
    CHECK(z1["same_pfn_as"].is_null());   // its own page, not page 0's
    CHECK(z1["kpageflags"] == litmus::json::array({"UPTODATE", "MMAP", "ANON", "SWAPBACKED"}));
    // The write reuses it in place: the same page as the read mapped.
    CHECK(record(z, 4, "parent", 1)["same_pfn_as_prev"] == "parent:1");
    // With the zero page (the default), the same read maps it.
    CHECK(record(litmus::predict::run(litmus::parse_file(suite + "/read_zero_page.jsonl")), 3, "parent", 1)["zero_page"] == true);
}

TEST_CASE("litmus: compare reports each differing field", "[litmus]") {
    const auto p = litmus::parse_file(suite + "/fork_child_write.jsonl");
    const auto good = litmus::predict::run(p);
    CHECK(litmus::compare(good, good).empty());
    const auto bad = litmus::predict::run(p, {model::mutant::fork_keeps_exclusive});
    const auto diffs = litmus::compare(good, bad);
    REQUIRE(!diffs.empty());
    CHECK(diffs.front().step == 3);
    CHECK(diffs.front().field == "anon_exclusive");
    CHECK(diffs.front().text() == "step 3 proc parent page 0 field anon_exclusive: kernel false, model true");

    // A kernel whose page were a THP (or KSM-merged) differs in kpageflags, and is reported.
    auto thp = good;
    for (auto& ob : thp.steps[2].obs)
        if (ob["proc"] == "parent" && ob["page"] == 0)
            ob["kpageflags"] = litmus::kpageflags_names(1ull << 3 | 1ull << 11 | 1ull << 12 | 1ull << 14 | 1ull << 22);
    const auto d2 = litmus::compare(thp, good);
    REQUIRE(d2.size() == 1);
    CHECK(d2.front().field == "kpageflags");
    CHECK(d2.front().kernel == litmus::json::array({"UPTODATE", "MMAP", "ANON", "SWAPBACKED", "THP"}));
}

TEST_CASE("litmus check: the suite agrees with this kernel", "[litmus][kernel]") {
    std::string files;
    int n = 0;
    for (const auto& e : std::filesystem::directory_iterator(suite))
        if (e.path().extension() == ".jsonl") {
            files += " " + e.path().string();
            ++n;
        }
    REQUIRE(n >= 10);
    const auto r = run("litmus check --quiet" + files);
    INFO(r.out);
    if (r.code == 3) {   // not root: unknown, one line with the reason
        CHECK(cli_test::lines(r.out) == 1);
        CHECK(r.out.find("cannot observe the kernel") != std::string::npos);
        WARN("litmus check against the kernel skipped: " << r.out);
        return;
    }
    CHECK(r.code == 0);
    CHECK(r.out.find(std::to_string(n) + " programs: " + std::to_string(n) + " agree") != std::string::npos);
    CHECK(r.out.find(" 0 disagree") != std::string::npos);

    // A wrong model disagrees with the kernel, and says where.
    const auto m = run("litmus check --inject fork_keeps_exclusive " + suite + "/fork_child_write.jsonl");
    CHECK(m.code == 1);
    CHECK(m.out.find("step 3 proc parent page 0 field anon_exclusive: kernel false, model true") != std::string::npos);
}

TEST_CASE("litmus check --recorded: the model agrees with the recorded kernel runs (no root needed)", "[litmus]") {
    const std::string recorded = std::string(COWCHECK_SOURCE_DIR) + "/conformance/recorded";
    std::string files;
    int n = 0;
    for (const auto& e : std::filesystem::directory_iterator(suite))
        if (e.path().extension() == ".jsonl") {
            files += " " + e.path().string();
            ++n;
            CHECK(std::filesystem::exists(recorded + "/" + e.path().stem().string() + ".kernel.jsonl"));
        }
    const auto r = run("litmus check --quiet --recorded " + recorded + files);
    INFO(r.out);
    CHECK(r.code == 0);
    CHECK(r.out.find(std::to_string(n) + " programs: " + std::to_string(n) + " agree") != std::string::npos);
    CHECK(r.out.find(" 0 disagree") != std::string::npos);
    CHECK(r.out.find("kernel 6.") != std::string::npos);   // the recording names its kernel
    // The known divergence is classified from the step the model merged VMAs the kernel keeps apart.
    const auto v = run("litmus check --recorded " + recorded + " " + suite + "/vm_account_merge.jsonl");
    CHECK(v.code == 0);
    CHECK(v.out.find("known divergence vm_account from step 6 (7 difference(s) classified)") != std::string::npos);
    // The recordings are compared, not trusted: a wrong model disagrees with them.
    const auto m = run("litmus check --recorded " + recorded + " --inject fork_keeps_exclusive " + suite + "/fork_parent_write.jsonl");
    CHECK(m.code == 1);
    CHECK(m.out.find("field anon_exclusive: kernel false, model true") != std::string::npos);
    // A missing recording is an input error.
    CHECK(run("litmus check --recorded /nonexistent " + suite + "/fork_parent_write.jsonl").code == 2);
}

TEST_CASE("litmus predict: the VM_ACCOUNT divergence is detected by rule, at the merging step", "[litmus]") {
    const auto t = litmus::predict::run(litmus::parse_file(suite + "/vm_account_merge.jsonl"));
    REQUIRE(t.header.contains("known_divergence"));
    CHECK(t.header["known_divergence"]["step"] == 6);
    CHECK(t.header["known_divergence"]["rule"] == "vm_account");
    // The same pages, written before they are made read-only, keep VM_ACCOUNT: no divergence.
    const auto w = litmus::predict::run(program_of(
        "{\"op\": \"mmap\", \"page\": 0, \"at\": 2}\n{\"op\": \"write\", \"page\": 0, \"value\": 1}\n"
        "{\"op\": \"mprotect\", \"page\": 0, \"prot\": \"r\"}\n{\"op\": \"mmap\", \"page\": 1, \"at\": 1}\n"
        "{\"op\": \"write\", \"page\": 1, \"value\": 2}\n{\"op\": \"mprotect\", \"page\": 1, \"prot\": \"r\"}\n"
        "{\"op\": \"fork\", \"child\": \"child1\"}\n"));
    CHECK(!w.header.contains("known_divergence"));
    CHECK(record(w, 7, "child1", 1)["present"] == true);   // the merged VMA has an anon_vma: PTEs copied
    for (const auto& f : std::filesystem::directory_iterator(suite)) {
        if (f.path().extension() != ".jsonl" || f.path().stem() == "vm_account_merge") continue;
        INFO(f.path());
        CHECK(!litmus::predict::run(litmus::parse_file(f.path().string())).header.contains("known_divergence"));
    }
}

TEST_CASE("litmus run and check without root: exit 3 (unknown) with one line naming the reason", "[litmus]") {
    // Run the binary as an unprivileged user; needs root to drop to one, and setpriv.
    if (geteuid() != 0 || std::system("command -v setpriv >/dev/null 2>&1") != 0) {
        WARN("skipped: needs root and setpriv to run cowcheck as an unprivileged user");
        return;
    }
    const std::string prog = suite + "/read_zero_page.jsonl";
    auto as_nobody = [](const std::string& args) {
        const std::string cmd = "timeout -k 2 60 setpriv --reuid=65534 --regid=65534 --clear-groups " +
                                std::string(COWCHECK_BINARY) + " " + args + " 2>&1";
        FILE* p = popen(cmd.c_str(), "r");
        REQUIRE(p);
        std::string out;
        char buf[4096];
        while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
        const int status = pclose(p);
        return cli_test::run_result{WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
    };
    for (const char* sub : {"run ", "check "}) {
        const auto r = as_nobody(std::string("litmus ") + sub + prog);
        INFO(sub << r.out);
        if (r.out.find("Permission denied") != std::string::npos) {
            WARN("skipped: the binary is not executable by an unprivileged user here");
            return;
        }
        CHECK(r.code == 3);
        CHECK(cli_test::lines(r.out) == 1);
        CHECK(r.out.find("cannot observe the kernel: needs root") != std::string::npos);
    }
    // --recorded needs no root.
    const auto rec = as_nobody("litmus check --quiet --recorded " + std::string(COWCHECK_SOURCE_DIR) +
                               "/conformance/recorded " + prog);
    INFO(rec.out);
    CHECK(rec.code == 0);
}

TEST_CASE("litmus predict: mem_write (forced write) and same_pfn_as_prev", "[litmus][gup]") {
    // A forced write to an exclusive read-only page writes that page (same frame as before).
    const auto r = litmus::predict::run(litmus::parse_file(suite + "/mem_write_ro_reuse.jsonl"));
    const auto& w = record(r, 4, "parent", 0);
    CHECK(w["value"] == 7);
    CHECK(w["vma"] == "r");
    CHECK(w["anon_exclusive"] == true);
    CHECK(w["same_pfn_as_prev"] == "parent:0");
    CHECK(r.steps.at(5).op["result"] == "SIGSEGV");   // the PTE stayed read-only: a user store faults
    CHECK(record(r, 1, "parent", 0)["same_pfn_as_prev"].is_null());
    // A shared page: the writer gets a copy (no frame of the step before), the child keeps the old one.
    const auto f = litmus::predict::run(litmus::parse_file(suite + "/mem_write_shared_after_fork.jsonl"));
    CHECK(record(f, 5, "parent", 0)["value"] == 9);
    CHECK(record(f, 5, "parent", 0)["same_pfn_as_prev"].is_null());
    CHECK(record(f, 5, "child1", 0)["value"] == 1);
    CHECK(record(f, 5, "child1", 0)["same_pfn_as_prev"] == "parent:0");
    // After MADV_DONTNEED the forced write lands in a new page; the zero page stays 0.
    const auto d = litmus::predict::run(litmus::parse_file(suite + "/mem_write_dontneed.jsonl"));
    CHECK(record(d, 7, "parent", 0)["value"] == 6);
    CHECK(record(d, 7, "parent", 0)["zero_page"] == false);
    CHECK(record(d, 9, "parent", 1)["value"] == 0);
    // Nothing mapped: nothing copied, EIO.
    const auto u = litmus::predict::run(litmus::parse_file(suite + "/mem_write_rw_and_unmapped.jsonl"));
    CHECK(u.steps.at(4).op["result"] == "EIO");
    // The dirty_cow mutant predicts the same for these serial programs (the race needs the
    // retry between the phases, which a litmus step does not split).
    CHECK(litmus::compare(d, litmus::predict::run(litmus::parse_file(suite + "/mem_write_dontneed.jsonl"),
                                                  {model::mutant::dirty_cow})).empty());
}
