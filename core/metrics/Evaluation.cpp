#include "core/metrics/Evaluation.h"

#include <cmath>
#include <limits>

namespace dacw {

namespace {

double meanOf(const std::vector<double>& v) {
    if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
    double m = 0;
    for (double x : v) m += x;
    return m / double(v.size());
}

}  // namespace

CaseResult scoreCase(const std::string& domain, const std::string& caseId, LabelMap& pred, const LabelMap& truth,
                     const Task& task) {
    CaseResult c;
    c.domain = domain;
    c.caseId = caseId;
    const AnatomyCheck a = checkAnatomy(pred, task);
    c.anatomyChecked = a.applicable;
    c.anatomyValid = a.valid;
    if (a.applicable) {
        c.rawDice = diceOfRegions(pred, truth, task);  // Dice only: HD95 of the raw map is not reported
        enforceAnatomy(pred, task);
    }
    c.scores = evaluateCase(pred, truth, task);
    if (!a.applicable)
        for (const auto& [region, s] : c.scores) c.rawDice[region] = s.dice;
    c.vcdr = verticalCupToDisc(pred, task);
    c.vcdrTruth = verticalCupToDisc(truth, task);
    if (std::isnan(c.vcdr) && !std::isnan(c.vcdrTruth)) c.vcdr = 0.0;  // no disc predicted: no cup either
    return c;
}

void summarise(EvaluationResult& r) {
    std::map<std::string, std::vector<const CaseResult*>> byDomain;
    std::vector<std::string> order;
    for (const auto& c : r.cases) {
        if (!byDomain.count(c.domain)) order.push_back(c.domain);
        byDomain[c.domain].push_back(&c);
    }
    r.domains.clear();
    std::map<std::string, std::vector<double>> diceMeans, hdMeans;
    std::vector<double> vcdrMaes;
    for (const auto& name : order) {
        DomainResult d;
        d.name = name;
        d.cases = byDomain[name].size();
        std::map<std::string, std::vector<double>> dv, hv, rv;
        std::vector<double> vcdrErr;
        for (const CaseResult* c : byDomain[name]) {
            for (const auto& [region, s] : c->scores) {
                dv[region].push_back(s.dice);
                hv[region].push_back(s.hd95);
                if (s.hd95Penalised) ++d.hd95Penalised[region];
            }
            for (const auto& [region, v] : c->rawDice) rv[region].push_back(v);
            if (!std::isnan(c->vcdr) && !std::isnan(c->vcdrTruth)) vcdrErr.push_back(std::fabs(c->vcdr - c->vcdrTruth));
            if (c->anatomyChecked) {
                ++d.anatomyChecked;
                d.anatomyValid += c->anatomyValid ? 1 : 0;
            }
        }
        for (auto& [region, v] : dv) diceMeans[region].push_back(d.dice[region] = meanOf(v));
        for (auto& [region, v] : hv) hdMeans[region].push_back(d.hd95[region] = meanOf(v));
        for (auto& [region, v] : rv) d.rawDice[region] = meanOf(v);
        d.vcdrMae = meanOf(vcdrErr);
        if (!vcdrErr.empty()) vcdrMaes.push_back(d.vcdrMae);
        r.domains.push_back(d);
    }
    r.meanDice.clear();
    r.meanHd95.clear();
    for (auto& [region, v] : diceMeans) r.meanDice[region] = meanOf(v);
    for (auto& [region, v] : hdMeans) r.meanHd95[region] = meanOf(v);
    r.meanVcdrMae = meanOf(vcdrMaes);
}

}  // namespace dacw
