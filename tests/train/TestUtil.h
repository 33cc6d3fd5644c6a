#pragma once
#include <QString>

#include <exception>

namespace dacw::train::test {

/// The message of the exception of type E that `fn` throws, or a text saying what went wrong
/// instead (no exception, or another type), for QVERIFY2-style checks.
template <typename E, typename Fn>
QString expectThrow(Fn fn) {
    try {
        fn();
    } catch (const E& e) {
        return QString::fromStdString(e.what());
    } catch (const std::exception& e) {
        return QStringLiteral("WRONG EXCEPTION TYPE: ") + e.what();
    }
    return QStringLiteral("NO EXCEPTION");
}

}  // namespace dacw::train::test
