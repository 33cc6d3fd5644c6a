#include "core/review/ReviewData.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "core/dataset/Domain.h"
#include "core/pipeline/RunFolder.h"
#include "core/util/Errors.h"
#include "core/util/Paths.h"

namespace fs = std::filesystem;

namespace dacw {

namespace {

double meanOf(const std::map<std::string, RegionScore>& s) {
    if (s.empty()) return NAN;
    double sum = 0;
    for (const auto& [k, v] : s) sum += std::isfinite(v.dice) ? v.dice : 0.0;
    return sum / double(s.size());
}

std::string csvField(const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string o = "\"";
    for (char c : s) o += c == '"' ? std::string("\"\"") : std::string(1, c);
    return o + "\"";
}

std::string num(double v, int precision) {
    if (!std::isfinite(v)) return "";
    std::ostringstream s;
    s.setf(std::ios::fixed);
    s.precision(precision);
    s << v;
    return s.str();
}

}  // namespace

double ReviewCase::meanDiceA() const { return meanOf(a); }
double ReviewCase::meanDiceB() const { return meanOf(b); }

ReviewData loadReview(const fs::path& runA, const fs::path& runB) {
    ReviewData r;
    r.runA = runA;
    r.runB = runB;
    r.nameA = runA.filename().string();
    r.nameB = runB.empty() ? "" : runB.filename().string();
    const RunRequest req = readRunRequest(runA);
    r.task = req.task;
    for (const auto& g : r.task.regions) r.regions.push_back(g.name);
    const EvaluationResult a = readRunEvaluation(RunFolder(runA));
    r.domainsA = a.domains;
    r.hd95Unit = a.hd95Unit.empty() ? "mm" : a.hd95Unit;
    std::map<std::string, const CaseResult*> bCases;
    EvaluationResult b;
    if (!runB.empty()) {
        b = readRunEvaluation(RunFolder(runB));
        r.domainsB = b.domains;
        for (const auto& c : b.cases) bCases[Project::caseKey(c.domain, c.caseId)] = &c;
    }
    // Test folders by their domain name (the folder name, as the run scored them).
    std::map<std::string, Domain> folders;
    for (const auto& t : req.testDirs) {
        try {
            Domain d = scanDomain(t);
            folders[d.name] = d;
        } catch (const InputError&) {
        }
    }
    for (const auto& c : a.cases) {
        ReviewCase rc;
        rc.domain = c.domain;
        rc.caseId = c.caseId;
        rc.a = c.scores;
        rc.vcdrA = c.vcdr;
        rc.vcdrTruth = c.vcdrTruth;
        auto f = folders.find(c.domain);
        if (f != folders.end())
            if (const Case* k = f->second.find(c.caseId)) {
                rc.image = k->image;
                rc.mask = k->mask;
            }
        rc.predictionA = RunFolder(runA).findPrediction(c.domain, c.caseId);
        if (!runB.empty()) {
            auto it = bCases.find(rc.key());
            if (it != bCases.end()) {
                rc.b = it->second->scores;
                rc.vcdrB = it->second->vcdr;
            }
            rc.predictionB = RunFolder(runB).findPrediction(c.domain, c.caseId);
        }
        r.cases.push_back(std::move(rc));
    }
    std::stable_sort(r.cases.begin(), r.cases.end(), [](const ReviewCase& x, const ReviewCase& y) {
        const double a = x.meanDiceA(), b = y.meanDiceA();
        return (std::isfinite(a) ? a : 2.0) < (std::isfinite(b) ? b : 2.0);
    });
    return r;
}

bool ReviewData::hasVcdr() const {
    return std::any_of(cases.begin(), cases.end(), [](const ReviewCase& c) { return std::isfinite(c.vcdrTruth); });
}

LabelMap errorMap(const LabelMap& prediction, const LabelMap& reference) {
    LabelMap e(reference.geometry());
    if (prediction.geometry().size != reference.geometry().size) return e;
    const auto& p = prediction.data();
    const auto& t = reference.data();
    auto& o = e.data();
    for (std::size_t i = 0; i < o.size(); ++i) {
        if (p[i] == t[i]) continue;
        o[i] = t[i] != 0 ? kFalseNegative : kFalsePositive;
    }
    return e;
}

std::string reviewCsv(const ReviewData& data, const Project* project) {
    std::ostringstream s;
    s << "domain,case";
    for (const auto& reg : data.regions) {
        s << ",dice_" << reg << "_" << csvField(data.nameA) << ",hd95_" << reg << "_" << csvField(data.nameA);
        if (data.hasB()) s << ",dice_" << reg << "_" << csvField(data.nameB) << ",hd95_" << reg << "_" << csvField(data.nameB);
    }
    if (data.hasVcdr()) {
        s << ",vcdr_" << csvField(data.nameA);
        if (data.hasB()) s << ",vcdr_" << csvField(data.nameB);
        s << ",vcdr_reference";
    }
    s << ",flag,note\n";
    for (const auto& c : data.cases) {
        s << csvField(c.domain) << "," << csvField(c.caseId);
        for (const auto& reg : data.regions) {
            auto get = [&](const std::map<std::string, RegionScore>& m, bool dice) {
                auto it = m.find(reg);
                return it == m.end() ? std::string() : num(dice ? it->second.dice : it->second.hd95, dice ? 4 : 2);
            };
            s << "," << get(c.a, true) << "," << get(c.a, false);
            if (data.hasB()) s << "," << get(c.b, true) << "," << get(c.b, false);
        }
        if (data.hasVcdr()) {
            s << "," << num(c.vcdrA, 3);
            if (data.hasB()) s << "," << num(c.vcdrB, 3);
            s << "," << num(c.vcdrTruth, 3);
        }
        std::string flag, note;
        if (project) {
            auto it = project->annotations.find(c.key());
            if (it != project->annotations.end()) {
                flag = it->second.flag;
                note = it->second.note;
            }
        }
        s << "," << csvField(flag) << "," << csvField(note) << "\n";
    }
    return s.str();
}

}  // namespace dacw
