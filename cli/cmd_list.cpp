// cli/cmd_list.cpp — `cowcheck list`: actions, invariants, designs, mutants, presets.
#include <iostream>

#include "common.hpp"

namespace cli {

void add_list(CLI::App& app, int& code) {
    auto* cmd = app.add_subcommand("list", "list the actions (with the kernel function each follows), invariants, "
                                           "designs, COW context fixes, phased operations, mutants and bounds presets");
    auto json = std::make_shared<bool>(false);
    cmd->add_flag("--json", *json, "print one JSON object");
    cmd->callback([json, &code] {
        nlohmann::json j;
        for (const auto& o : model::ops()) j["actions"].push_back({{"name", o.name}, {"kernel", o.kernel}});
        for (const auto& i : props::invariants())
            j["invariants"].push_back({{"name", i.name}, {"claim", i.claim}, {"rule", i.rule}});
        j["designs"] = {"anon_vma", "cow_context", "mshare"};
        for (const auto& f : model::cow_fixes()) j["cow_fixes"].push_back({{"name", f.name}, {"summary", f.summary}});
        for (const auto& f : model::phased_ops()) j["phased"].push_back({{"name", f.name}, {"summary", f.summary}});
        for (const auto& m : model::mutants()) {
            nlohmann::json ds = nlohmann::json::array();
            for (auto d : {model::design::anon_vma, model::design::cow_context, model::design::mshare})
                if (m.applies(d)) ds.push_back(model::design_name(d));
            std::string search;
            for (const auto& a : explore_args_for(m.name)) search += (search.empty() ? "" : " ") + a;
            model::config brings;   // the phased operations --inject turns on with it (config::inject)
            brings.inject(m.id);
            j["mutants"].push_back({{"name", m.name}, {"cites", m.cites}, {"where", m.where}, {"summary", m.summary},
                                    {"designs", ds}, {"explore_args", search}, {"phased", brings.phased_names()}});
        }
        auto preset = [&](auto p) {
            using P = decltype(p);
            j["presets"].push_back({{"name", P::name}, {"mms", P::mms}, {"vmas_per_mm", P::vmas}, {"va_pages", P::va_pages},
                                    {"folios", P::folios}, {"anon_vmas", P::anon_vmas}, {"cpus", P::cpus}});
        };
        preset(model::preset_small{});
        preset(model::preset_default{});
        preset(model::preset_double{});
        if (*json) {
            std::cout << j.dump(2) << "\n";
        } else {
            std::cout << "actions (" << model::ops().size() << "):\n";
            for (const auto& o : model::ops()) std::cout << "  " << o.name << std::string(18 - std::string(o.name).size(), ' ') << o.kernel << "\n";
            std::cout << "\ninvariants (" << props::invariants().size() << "):\n";
            for (const auto& i : props::invariants())
                std::cout << "  " << i.name << "\n      " << i.claim << "\n      [" << i.rule << "]\n";
            std::cout << "\ndesigns:\n  anon_vma          today's kernel (mm/rmap.c)\n"
                      << "  cow_context       the COW context proof of concept as coded (model/cow_context.hpp)\n";
            std::cout << "\ncow_context fixes (--cow-fix NAME):\n";
            for (const auto& f : model::cow_fixes()) std::cout << "  " << f.name << "\n      " << f.summary << "\n";
            std::cout << "\nphased operations (--phased NAME: check, explore and refine; bmc and prove do not model phases):\n";
            for (const auto& f : model::phased_ops()) std::cout << "  " << f.name << "\n      " << f.summary << "\n";
            std::cout << "\nmutants (--inject NAME):\n";
            for (const auto& m : model::mutants()) {
                std::string ds;
                for (auto d : {model::design::anon_vma, model::design::cow_context, model::design::mshare})
                    if (m.applies(d)) {
                        if (!ds.empty()) ds += ", ";
                        ds += model::design_name(d);
                    }
                std::cout << "  " << m.name << "\n      " << m.summary << "\n      [" << m.cites << "; in " << m.where
                          << "; designs: " << ds << "]\n";
            }
            std::cout << "\nbounds presets (--bounds NAME):\n";
            for (const auto& p : j["presets"])
                std::cout << "  " << p["name"].get<std::string>() << ": mms " << p["mms"] << ", vmas/mm " << p["vmas_per_mm"]
                          << ", pages/mm " << p["va_pages"] << ", folios " << p["folios"] << ", anon_vmas "
                          << p["anon_vmas"] << ", cpus " << p["cpus"] << "\n";
        }
        code = exit_clean;
    });
}

}  // namespace cli
