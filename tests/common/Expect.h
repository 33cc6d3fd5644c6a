#pragma once
// The one "expect this to throw with this message" helper of every test program.
#include <QString>
#include <QtTest>

#include <exception>
#include <string>

namespace dacw::test {

/// The message of the exception of type E that `fn` throws, or a text saying what happened
/// instead ("NO EXCEPTION", or "WRONG EXCEPTION TYPE: ..."), for QVERIFY2-style checks.
template <class E, class Fn>
QString thrownMessage(Fn fn)
{
    try {
        fn();
    } catch (const E& e) {
        return QString::fromStdString(e.what());
    } catch (const std::exception& e) {
        return QStringLiteral("WRONG EXCEPTION TYPE: ") + e.what();
    }
    return QStringLiteral("NO EXCEPTION");
}

/// Fails the test unless `fn` throws an E whose message contains `part` (QFAIL: the rest of the
/// calling test still runs, and the failure names what was thrown instead).
template <class E, class Fn>
void expectThrow(Fn fn, const std::string& part)
{
    const QString got = thrownMessage<E>(fn);
    if (got == "NO EXCEPTION" || got.startsWith("WRONG EXCEPTION TYPE"))
        QFAIL(qPrintable("expected an exception mentioning '" + QString::fromStdString(part) + "', got: " + got));
    else if (!got.contains(QString::fromStdString(part)))
        QFAIL(qPrintable("message '" + got + "' does not mention '" + QString::fromStdString(part) + "'"));
}

}  // namespace dacw::test
