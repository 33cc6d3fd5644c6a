// dacw experiment: several methods (and seeds, labeled counts, test centres) on the same split,
// tabulated as results.md and results.json.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "Args.h"
#include "Commands.h"
#include "Console.h"
#include "TrainOptions.h"
#include "core/train/Errors.h"
#include "core/pipeline/ExperimentChart.h"
#include "core/pipeline/Run.h"
#include "core/pipeline/RunFolder.h"
#include "core/util/Errors.h"
#include "core/util/Paths.h"

namespace fs = std::filesystem;

namespace dacw::cli {
namespace {

struct Stat {
    double mean = NAN, sd = NAN;
    std::size_t n = 0;
};
Stat statOf(const std::vector<double>& v) {
    Stat s;
    for (double x : v)
        if (std::isfinite(x)) {
            s.mean = (s.n == 0 ? 0.0 : s.mean) + x;
            ++s.n;
        }
    if (s.n == 0) return s;
    s.mean /= double(s.n);
    if (s.n > 1) {
        double q = 0;
        for (double x : v)
            if (std::isfinite(x)) q += (x - s.mean) * (x - s.mean);
        s.sd = std::sqrt(q / double(s.n - 1));  // sample standard deviation
    }
    return s;
}
std::string show(const Stat& s, int digits = 3) {
    if (s.n == 0) return "-";
    std::ostringstream o;
    o << std::fixed << std::setprecision(digits) << s.mean;
    if (s.n > 1) o << " ± " << std::setprecision(digits) << s.sd;
    return o.str();
}
nlohmann::json statJson(const Stat& s, const std::vector<double>& values) {
    auto num = [](double v) { return std::isfinite(v) ? nlohmann::json(std::round(v * 1e6) / 1e6) : nlohmann::json(nullptr); };
    nlohmann::json per = nlohmann::json::array();
    for (double v : values) per.push_back(num(v));
    return {{"mean", num(s.mean)}, {"sd", num(s.sd)}, {"n", s.n}, {"per_seed", per}};
}

// Several seeds' evaluations as one: the mean of every number that all of them hold at the same
// place (Dice, HD95, vCDR error, Dice before post-processing, anatomy counts); any other value is
// kept where all agree and listed seed by seed where they differ (the chosen sub-model, say).
nlohmann::json meanOverSeeds(const std::vector<nlohmann::json>& v) {
    const nlohmann::json& first = v.front();
    const bool numbers = std::all_of(v.begin(), v.end(), [](const nlohmann::json& x) { return x.is_number(); });
    if (numbers) {
        double sum = 0;
        for (const auto& x : v) sum += x.get<double>();
        return std::round(sum / double(v.size()) * 1e6) / 1e6;
    }
    const bool objects = std::all_of(v.begin(), v.end(), [](const nlohmann::json& x) { return x.is_object(); });
    if (objects) {
        nlohmann::json out = nlohmann::json::object();
        for (const auto& [key, value] : first.items()) {
            std::vector<nlohmann::json> at;
            for (const auto& x : v)
                if (x.contains(key)) at.push_back(x.at(key));
            if (at.size() == v.size()) out[key] = meanOverSeeds(at);
        }
        return out;
    }
    if (std::all_of(v.begin(), v.end(), [&](const nlohmann::json& x) { return x == first; })) return first;
    return nlohmann::json(v);
}

std::vector<std::uint64_t> seedList(const Args& a, std::uint64_t fallback) {
    if (!a.has("seeds")) return {fallback};
    std::vector<std::uint64_t> out;
    std::stringstream ss(a.get("seeds"));
    for (std::string item; std::getline(ss, item, ',');) {
        if (item.empty()) continue;
        char* end = nullptr;
        const long long v = std::strtoll(item.c_str(), &end, 10);
        if (*end != '\0' || v < 0) throw UsageError("--seeds takes non-negative integers separated by commas, not '" + item + "'");
        out.push_back(std::uint64_t(v));
    }
    if (out.empty()) throw UsageError("--seeds lists no seed");
    return out;
}

// The labeled centre's held-out validation of the sub-model a finished run exported (its
// metrics.json names it): domain -> region -> Dice at the run's last validation. Empty when the
// run had no validation or its metrics.json does not say which sub-model it exported.
std::map<std::string, std::map<std::string, double>> exportedValidation(const fs::path& runDir) {
    const RunFolder folder(runDir);
    std::ifstream in(folder.evaluation());
    const nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
    if (!j.is_object() || !j.contains("chosen_submodel") || !j["chosen_submodel"].is_string()) return {};
    return lastValidation(readRunTable(folder.validationCsv()), j["chosen_submodel"].get<std::string>());
}

/// One cell of an experiment: every method and seed on one split, into OUT; writes OUT/results.md
/// and OUT/results.json. Returns 130 when cancelled.
int experimentBlock(const RunRequest& base, const std::vector<train::Method>& methods, const std::vector<std::uint64_t>& seeds,
                    bool multi, const fs::path& out, std::string* mdOut, nlohmann::json* jsonOut) {
    // results[method][seed index]
    std::map<std::string, std::vector<EvaluationResult>> results;
    std::map<std::string, std::vector<std::map<std::string, std::map<std::string, double>>>> validations;
    std::vector<std::string> order;
    for (std::size_t si = 0; si < seeds.size(); ++si) {
        for (auto m : methods) {
            const std::string name = train::toString(m);
            if (!results.count(name)) order.push_back(name);
            RunRequest r = base;
            r.config.method = m;
            r.config.seed = seeds[si];
            r.outDir = multi ? out / name / ("seed-" + std::to_string(seeds[si])) : out / name;
            // With --resume, a finished run (its metrics.json exists) is read back, not retrained.
            std::error_code ec;
            if (r.resume && fs::exists(RunFolder(r.outDir).evaluation(), ec)) {
                std::cerr << "== " << name << " seed " << seeds[si] << ": finished earlier, read from " << r.outDir.string() << "\n";
                results[name].push_back(readRunEvaluation(RunFolder(r.outDir)));
                validations[name].push_back(exportedValidation(r.outDir));
                continue;
            }
            std::cerr << "== " << name << " seed " << seeds[si] << " -> " << r.outDir.string() << "\n";
            ProgressPrinter printer;
            RunObserver obs;
            obs.progress = [&](const train::Progress& p) { printer(p); };
            RunOutcome o;
            try {
                o = executeRun(r, obs, &interrupted());
            } catch (const train::TrainError& e) {
                throw InputError(name + ": " + e.what());
            }
            if (o.cancelled) {
                std::cerr << "cancelled; rerun with --resume to continue\n";
                return 130;
            }
            results[name].push_back(o.evaluation);
            validations[name].push_back(exportedValidation(r.outDir));
        }
    }
    // The comparison: Dice per region for every test domain (mean ± sd over seeds), vCDR error,
    // and the paired difference of the last co-training method listed against every other.
    std::vector<std::string> domains, regions;
    for (const auto& reg : base.task.regions) regions.push_back(reg.name);
    for (const auto& d : results[order.front()].front().domains) domains.push_back(d.name);
    auto diceOf = [&](const EvaluationResult& e, const std::string& dom, const std::string& reg) {
        for (const auto& x : e.domains)
            if (x.name == dom && x.dice.count(reg)) return x.dice.at(reg);
        return double(NAN);
    };
    auto vcdrOf = [&](const EvaluationResult& e, const std::string& dom) {
        for (const auto& x : e.domains)
            if (x.name == dom) return x.vcdrMae;
        return double(NAN);
    };
    const bool fundus = std::find(regions.begin(), regions.end(), "cup") != regions.end() &&
                        std::find(regions.begin(), regions.end(), "disc") != regions.end();
    std::ostringstream md;
    md << "# Experiment: " << base.task.name << ", labeled " << base.labeledDir.filename().string();
    if (base.labeledCount > 0) md << " (" << base.labeledCount << " cases)";
    md << ", unlabeled";
    for (const auto& u : base.unlabeledDirs) md << " " << u.filename().string();
    md << "\n\n";
    md << "Preset `" << base.preset << "`, " << base.config.iterations << " iterations, size " << base.config.size << ", seeds ";
    for (std::size_t i = 0; i < seeds.size(); ++i) md << (i ? "," : "") << seeds[i];
    md << ". Dice (mean over cases" << (seeds.size() > 1 ? "; mean ± sd over seeds" : "") << ").\n\n| method |";
    for (const auto& d : domains) {
        for (const auto& reg : regions) md << " " << d << " " << reg << " |";
        if (fundus) md << " " << d << " vCDR MAE |";
    }
    for (const auto& reg : regions) md << " mean " << reg << " |";
    md << "\n|---|";
    const std::size_t cols = domains.size() * (regions.size() + (fundus ? 1 : 0)) + regions.size();
    for (std::size_t i = 0; i < cols; ++i) md << "---|";
    md << "\n";
    nlohmann::json j = {{"task", base.task.name},         {"preset", base.preset},
                        {"iterations", base.config.iterations}, {"size", base.config.size},
                        {"seeds", seeds},                  {"methods", nlohmann::json::object()}};
    if (seeds.size() > 1)
        j["aggregation"] = "each number is the mean over the seeds; the *_over_seeds entries list every seed's value";
    for (const auto& name : order) {
        const auto& runs = results[name];
        md << "| " << name << " |";
        // Every figure of the method's entry is over all its seeds (with one seed: that run's).
        std::vector<nlohmann::json> perSeed;
        for (const auto& e : runs) {
            perSeed.push_back(nlohmann::json::parse(evaluationToJson(e)));
            perSeed.back().erase("cases");
        }
        nlohmann::json mj = meanOverSeeds(perSeed);
        for (const auto& d : domains) {
            for (const auto& reg : regions) {
                std::vector<double> v;
                for (const auto& e : runs) v.push_back(diceOf(e, d, reg));
                const Stat st = statOf(v);
                md << " " << show(st) << " |";
                mj["domains"][d]["dice"][reg] = std::isfinite(st.mean) ? nlohmann::json(st.mean) : nlohmann::json(nullptr);
                mj["domains"][d]["dice_over_seeds"][reg] = statJson(st, v);
            }
            std::vector<double> vc;
            for (const auto& e : runs) vc.push_back(vcdrOf(e, d));
            if (fundus) {
                md << " " << show(statOf(vc)) << " |";
                mj["domains"][d]["vcdr_mae_over_seeds"] = statJson(statOf(vc), vc);
            }
        }
        for (const auto& reg : regions) {
            std::vector<double> v;
            for (const auto& e : runs) v.push_back(e.meanDice.count(reg) ? e.meanDice.at(reg) : NAN);
            md << " " << show(statOf(v)) << " |";
            mj["mean"]["dice_over_seeds"][reg] = statJson(statOf(v), v);
        }
        md << "\n";
        j["methods"][name] = mj;
    }
    // The labeled centre's held-out cases: what chose each run's sub-model. Beside the test
    // centres it shows a setting that fits the labeled centre better and generalises worse.
    std::vector<std::pair<std::string, std::string>> valCells;  // (domain, region): the task's regions first
    for (const auto& name : order)
        for (const auto& v : validations[name])
            for (const auto& [dom, regs] : v) {
                std::vector<std::string> regOrder;
                for (const auto& reg : regions)
                    if (regs.count(reg)) regOrder.push_back(reg);
                for (const auto& [reg, dice] : regs)
                    if (std::find(regOrder.begin(), regOrder.end(), reg) == regOrder.end()) regOrder.push_back(reg);
                for (const auto& reg : regOrder)
                    if (std::find(valCells.begin(), valCells.end(), std::make_pair(dom, reg)) == valCells.end())
                        valCells.emplace_back(dom, reg);
            }
    if (!valCells.empty()) {
        md << "\nValidation (never a test centre): the Dice of the sub-model each run exported, at its last "
              "validation. A setting that gains here and loses on the test centres fits the labeled centre, "
              "not the task.\n\n| method |";
        for (const auto& [dom, reg] : valCells) md << " " << dom << " " << reg << " |";
        md << "\n|---|";
        for (std::size_t i = 0; i < valCells.size(); ++i) md << "---|";
        md << "\n";
        for (const auto& name : order) {
            md << "| " << name << " |";
            for (const auto& [dom, reg] : valCells) {
                std::vector<double> v;
                for (const auto& run : validations[name]) {
                    const auto d = run.find(dom);
                    v.push_back(d != run.end() && d->second.count(reg) ? d->second.at(reg) : NAN);
                }
                md << " " << show(statOf(v)) << " |";
                j["methods"][name]["validation"][dom][reg] = statJson(statOf(v), v);
            }
            md << "\n";
        }
    }
    // Paired: the same seed means the same labeled cases and the same data order for every method.
    const std::string focus = order.back();
    if (order.size() > 1) {
        md << "\nPaired difference, " << focus << " minus each method, same seed (mean ± sd over seeds; wins = seeds where "
           << focus << " is higher):\n\n| " << focus << " minus |";
        for (const auto& d : domains)
            for (const auto& reg : regions) md << " " << d << " " << reg << " |";
        md << "\n|---|";
        for (std::size_t i = 0; i < domains.size() * regions.size(); ++i) md << "---|";
        md << "\n";
        for (const auto& name : order) {
            if (name == focus) continue;
            md << "| " << name << " |";
            for (const auto& d : domains)
                for (const auto& reg : regions) {
                    std::vector<double> diff;
                    int wins = 0;
                    for (std::size_t si = 0; si < seeds.size(); ++si) {
                        const double x = diceOf(results[focus][si], d, reg) - diceOf(results[name][si], d, reg);
                        diff.push_back(x);
                        wins += x > 0 ? 1 : 0;
                    }
                    const Stat st = statOf(diff);
                    md << " " << (st.mean > 0 ? "+" : "") << show(st) << " (" << wins << "/" << seeds.size() << ") |";
                    j["paired"][focus + " - " + name][d][reg] = statJson(st, diff);
                }
            md << "\n";
        }
    }
    fs::create_directories(out);
    // One bar chart per region: methods side by side per test domain, mean ± sd over seeds.
    md << "\n";
    for (const auto& reg : regions) {
        std::vector<ChartGroup> groups;
        for (const auto& d : domains) {
            ChartGroup g;
            g.label = d;
            for (const auto& name : order) {
                std::vector<double> v;
                for (const auto& e : results[name]) v.push_back(diceOf(e, d, reg));
                const Stat st = statOf(v);
                g.bars.push_back({name, st.mean, st.sd});
            }
            groups.push_back(g);
        }
        const std::string png = "results-" + reg + ".png";
        writeBarChart(out / png, base.task.name + ": " + reg + " Dice per test domain (mean +- sd over " +
                                     std::to_string(seeds.size()) + " seed" + (seeds.size() > 1 ? "s)" : ")"),
                      groups);
        md << "![" << reg << " Dice](" << png << ")\n";
    }
    writeTextAtomically(out / "results.md", md.str());
    writeTextAtomically(out / "results.json", j.dump(2) + "\n");
    if (mdOut) *mdOut = md.str();
    if (jsonOut) *jsonOut = j;
    return kOk;
}

int experimentCommand(const std::vector<std::string>& argv) {
    Args a(argv, {"resume", "no-cache", "no-predictions", "test-unused-labeled", "no-replay"});
    auto known = kTrainOptions;
    known.push_back("methods");
    known.push_back("seeds");
    known.push_back("labeled-counts");
    known.push_back("leave-one-out");
    a.allowOnly(known);
    if (a.has("method")) throw UsageError("experiment takes --methods a,b,c");
    if (a.has("seed") && a.has("seeds")) throw UsageError("give --seed or --seeds, not both");
    if (a.has("labeled-counts") && (a.has("labeled-count") || a.has("labeled-ratio")))
        throw UsageError("give --labeled-counts or --labeled-count/--labeled-ratio, not both");
    RunRequest base = requestFrom(a);
    const std::vector<std::string> loo = a.all("leave-one-out");
    if (!loo.empty() && !base.testDirs.empty()) throw UsageError("--leave-one-out chooses the test folders; give no --test");
    if (!loo.empty() && loo.size() < 2) throw UsageError("--leave-one-out needs at least two domain folders");
    if (base.testDirs.empty() && loo.empty() && !base.testUnusedLabeled)
        throw UsageError("experiment needs at least one --test folder (or --test-unused-labeled)");
    const fs::path out = a.require("out");
    std::vector<train::Method> methods;
    std::stringstream ss(a.get("methods", "supervised,cps,dac"));
    try {
        for (std::string m; std::getline(ss, m, ',');)
            if (!m.empty()) methods.push_back(train::parseMethod(m));
    } catch (const train::ConfigError& e) {
        throw UsageError(e.what());
    }
    if (methods.empty()) throw UsageError("--methods lists no method");
    const std::vector<std::uint64_t> seeds = seedList(a, base.config.seed);
    const bool multi = a.has("seeds");
    std::vector<int> counts;
    if (a.has("labeled-counts")) {
        std::stringstream cs(a.get("labeled-counts"));
        for (std::string item; std::getline(cs, item, ',');) {
            if (item.empty()) continue;
            char* end = nullptr;
            const long v = std::strtol(item.c_str(), &end, 10);
            if (*end != '\0' || v < 1) throw UsageError("--labeled-counts takes positive integers separated by commas, not '" + item + "'");
            counts.push_back(int(v));
        }
        if (counts.empty()) throw UsageError("--labeled-counts lists no count");
    }
    stopOnInterrupt(/*alsoTerminate=*/false);
    if (counts.empty() && loo.empty()) {
        std::string md;
        const int rc = experimentBlock(base, methods, seeds, multi, out, &md, nullptr);
        if (rc == kOk) std::cout << md;
        return rc;
    }
    // Several cells: labeled counts (a label-efficiency curve) and/or each listed domain in turn as
    // the unseen test centre, the other listed domains unlabeled (besides any --unlabeled folders).
    if (counts.empty()) counts.push_back(base.labeledCount);
    const std::vector<fs::path> tests = paths(loo);
    std::ostringstream all;
    nlohmann::json cells = nlohmann::json::array();
    for (int n : counts) {
        const std::size_t rounds = tests.empty() ? 1 : tests.size();
        for (std::size_t t = 0; t < rounds; ++t) {
            RunRequest r = base;
            r.labeledCount = n;
            fs::path cell = out;
            if (a.has("labeled-counts")) cell /= "labeled-" + std::to_string(n);
            if (!tests.empty()) {
                r.testDirs = {tests[t]};
                for (std::size_t u = 0; u < tests.size(); ++u)
                    if (u != t) r.unlabeledDirs.push_back(tests[u]);
                cell /= "test-" + tests[t].filename().string();
            }
            std::string md;
            nlohmann::json j;
            const int rc = experimentBlock(r, methods, seeds, multi, cell, &md, &j);
            if (rc != kOk) return rc;
            all << md << "\n";
            cells.push_back({{"labeled_count", n},
                             {"test", r.testDirs.empty() ? r.labeledDir.filename().string() : r.testDirs.front().filename().string()},
                             {"folder", fs::relative(cell, out).string()},
                             {"results", j}});
        }
    }
    fs::create_directories(out);
    writeTextAtomically(out / "results.md", all.str());
    writeTextAtomically(out / "results.json", nlohmann::json({{"cells", cells}}).dump(2) + "\n");
    std::cout << all.str();
    return kOk;
}

}  // namespace

std::vector<Command> experimentCommands() {
    return {
        {"experiment", "train several methods on the same split and tabulate Dice",
         "Usage: dacw experiment --task T --labeled DIR [--labeled-count N] --unlabeled DIR... --test DIR...\n"
         "                       --methods supervised,cps,dac [--seeds 1,2,3] --out DIR [train options]\n"
         "       dacw experiment ... [--labeled-counts 5,10,20,40] [--leave-one-out DIR, repeated, instead of --test]\n\n"
         "Runs `dacw train` for each method into DIR/<method>/ (with --seeds: DIR/<method>/seed-<s>/),\n"
         "every method of a seed on the same labeled cases, then writes DIR/results.md (Dice per test\n"
         "domain and region, mean ± sd over seeds, fundus vCDR error, and the paired difference of the\n"
         "last method listed against each other one, seed by seed) and DIR/results.json.\n"
         "--labeled-counts repeats the comparison for each number of labeled cases (DIR/labeled-<n>/);\n"
         "--leave-one-out makes each listed domain in turn the unseen test centre, the others unlabeled\n"
         "(DIR/test-<domain>/). DIR/results.md then holds every cell's table.\n"
         "With --resume, runs that finished earlier (metrics.json present) are read back, not retrained.\n",
         experimentCommand},
    };
}

}  // namespace dacw::cli
