// test_train GROUP [Qt Test arguments]: GROUP is "unit", "pretrain" or "runs"; the rest (e.g. a test function
// name) goes to QTest::qExec. Without a group, every group runs.
#include <QCoreApplication>
#include <QtTest>

#include <memory>
#include <string>
#include <vector>

std::unique_ptr<QObject> makeUnitTests();
std::unique_ptr<QObject> makeRunTests();
std::unique_ptr<QObject> makePretrainTests();
std::unique_ptr<QObject> makePredictorTests();
std::unique_ptr<QObject> makeShadowTests();
std::unique_ptr<QObject> makeStyleMixTests();

int main(int argc, char** argv) {
    QCoreApplication app(argc, argv);
    std::string group = argc > 1 ? argv[1] : "";
    std::vector<char*> rest{argv[0]};
    for (int i = group.empty() ? 1 : 2; i < argc; ++i) rest.push_back(argv[i]);
    int status = 0;
    if (group.empty() || group == "unit") {
        auto t = makeUnitTests();
        status |= QTest::qExec(t.get(), static_cast<int>(rest.size()), rest.data());
        auto p = makePredictorTests();
        status |= QTest::qExec(p.get(), static_cast<int>(rest.size()), rest.data());
        auto s = makeShadowTests();
        status |= QTest::qExec(s.get(), static_cast<int>(rest.size()), rest.data());
        auto m = makeStyleMixTests();
        status |= QTest::qExec(m.get(), static_cast<int>(rest.size()), rest.data());
    }
    if (group.empty() || group == "pretrain") {
        auto t = makePretrainTests();
        status |= QTest::qExec(t.get(), static_cast<int>(rest.size()), rest.data());
    }
    if (group.empty() || group == "runs") {
        auto t = makeRunTests();
        status |= QTest::qExec(t.get(), static_cast<int>(rest.size()), rest.data());
    }
    if (!group.empty() && group != "unit" && group != "pretrain" && group != "runs") {
        qWarning("unknown test group '%s' (unit, pretrain, runs)", group.c_str());
        return 2;
    }
    return status;
}
