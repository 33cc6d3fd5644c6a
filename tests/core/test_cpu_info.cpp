// The CPU identity (core/train/CpuInfo, torch-free) that keys the cached kernel choice and heads benchmark
// tables: generations that share a bare model name must not share an identity.
#include <QtTest/QtTest>

#include <sstream>

#include "core/train/CpuInfo.h"

using namespace dacw;

namespace {

CpuIdentity parse(const std::string& text) {
    std::istringstream in(text);
    return parseCpuInfo(in);
}

// Two processors of one machine, as /proc/cpuinfo lists them; only the first block counts.
std::string block(int processor, const std::string& vendor, int family, int model, const std::string& name, int stepping,
                  const std::string& flags) {
    std::ostringstream os;
    os << "processor\t: " << processor << "\nvendor_id\t: " << vendor << "\ncpu family\t: " << family << "\nmodel\t\t: " << model
       << "\nmodel name\t: " << name << "\nstepping\t: " << stepping << "\nflags\t\t: " << flags << "\n\n";
    return os.str();
}

}  // namespace

class TestCpuInfo : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void generationsWithOneModelNameDiffer() {
        // Two cloud machines seen by this project: both report "AMD EPYC".
        const auto zen4 = parse(block(0, "AuthenticAMD", 25, 17, "AMD EPYC", 1, "fpu avx512f avx512_bf16") +
                                block(1, "AuthenticAMD", 25, 17, "AMD EPYC", 1, "fpu avx512f avx512_bf16"));
        const auto zen5 = parse(block(0, "AuthenticAMD", 26, 2, "AMD EPYC", 1, "fpu avx512f avx512_bf16"));
        QCOMPARE(zen4.modelName, std::string("AMD EPYC"));
        QCOMPARE(zen4.family, 25);
        QCOMPARE(zen4.model, 17);
        QCOMPARE(zen4.stepping, 1);
        QVERIFY(zen4.avx512bf16 && !zen4.amx);
        QCOMPARE(zen4.text(), std::string("AMD EPYC (AuthenticAMD family 25 model 17 stepping 1; avx512_bf16)"));
        QVERIFY(zen4.text() != zen5.text());
    }

    void onlyTheFirstProcessorCounts() {
        // A (hypothetical) mixed machine: the second block must not overwrite the first.
        const auto id = parse(block(0, "GenuineIntel", 6, 143, "Intel(R) Xeon(R) Platinum 8481C CPU @ 2.70GHz", 8,
                                    "fpu avx512_bf16 amx_bf16 amx_tile amx_int8") +
                              block(1, "GenuineIntel", 6, 85, "Other", 7, "fpu"));
        QCOMPARE(id.model, 143);
        QCOMPARE(id.stepping, 8);
        QVERIFY(id.avx512bf16 && id.amx);
        QCOMPARE(id.text(), std::string("Intel(R) Xeon(R) Platinum 8481C CPU @ 2.70GHz (GenuineIntel family 6 model "
                                        "143 stepping 8; avx512_bf16 amx)"));
    }

    void missingOrDamagedFields() {
        QCOMPARE(parse("").text(), std::string("unknown"));
        // ARM-style text: no vendor_id/family/model name lines.
        QCOMPARE(parse("processor\t: 0\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd\n").text(), std::string("unknown"));
        // Numbers that are not numbers are left out, not read as 0.
        const auto id = parse("processor : 0\nmodel name : X\ncpu family : 2x\nmodel : -3\nstepping : \n");
        QCOMPARE(id.family, -1);
        QCOMPARE(id.model, -1);
        QCOMPARE(id.stepping, -1);
        QCOMPARE(id.text(), std::string("X"));
        QCOMPARE(parse("model name : Y\nflags : amx_tile\n").text(), std::string("Y (amx)"));
        QCOMPARE(parse("model name : Z\ncpu family : 6\n").text(), std::string("Z (family 6)"));
    }

    void thisMachine() {
        // Whatever runs the test: an identity that names the model, and is stable between calls.
        const auto a = thisCpu(), b = thisCpu();
        QCOMPARE(a.text(), b.text());
        QVERIFY(!a.text().empty());
    }
};

QTEST_APPLESS_MAIN(TestCpuInfo)
#include "test_cpu_info.moc"
