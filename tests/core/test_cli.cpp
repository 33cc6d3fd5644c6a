// The dacw command line: exit codes (0 ok, 1 bad input, 2 usage), help everywhere, messages.
#include <QtTest/QtTest>

#include <fstream>

#include "TestSupport.h"

namespace fs = std::filesystem;

class TestCli : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;
    fs::path dir() const { return fs::path(tmp_.path().toStdString()); }

    struct Result {
        int code;
        QString out, err;
    };
    Result run(const QStringList& args) {
        QProcess p;
        p.start(DACW_CLI, args);
        if (!p.waitForFinished(120000)) return {-1, {}, "timeout"};
        return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2, QString::fromUtf8(p.readAllStandardOutput()),
                QString::fromUtf8(p.readAllStandardError())};
    }

private Q_SLOTS:
    void usageAndHelp() {
        QCOMPARE(run({}).code, 2);
        Result h = run({"--help"});
        QCOMPARE(h.code, 0);
        QVERIFY(h.out.contains("dataset validate"));
        for (QString c : {"info", "dataset validate", "demo"}) {
            QStringList args = c.split(' ');
            args << "--help";
            Result r = run(args);
            QCOMPARE(r.code, 0);
            QVERIFY2(r.out.startsWith("Usage: dacw " + c), qPrintable(r.out));
        }
        QCOMPARE(run({"frobnicate"}).code, 2);
        QCOMPARE(run({"dataset"}).code, 2);
        QCOMPARE(run({"info"}).code, 2);
        Result unknown = run({"info", "--colour", "x", "y"});
        QCOMPARE(unknown.code, 2);
        QVERIFY(unknown.err.contains("unknown option --colour"));
        // An unknown preset is a usage mistake (exit 2) that names the presets.
        Result preset = run({"train", "--task", "fundus", "--labeled", "x", "--unlabeled", "y", "--out", "z", "--preset", "huge"});
        QCOMPARE(preset.code, 2);
        QVERIFY2(preset.err.contains("Unknown preset 'huge'; presets are quick, standard and paper"), qPrintable(preset.err));
    }

    void demoInfoValidate() {
        const QString demo = QString::fromStdString((dir() / "demo").string());
        Result d = run({"demo", demo});
        QCOMPARE(d.code, 0);
        QVERIFY(d.out.contains("demo.dacproj"));
        Result v = run({"dataset", "validate", demo + "/fundus/centre-a", demo + "/fundus/centre-b", demo + "/fundus/centre-c"});
        QCOMPARE(v.code, 0);
        QCOMPARE(v.out.count("0 issue(s)"), 3);
        Result i = run({"info", demo + "/mri/centre-a/images/sub-a01.nii.gz"});
        QCOMPARE(i.code, 0);
        QVERIFY2(i.out.contains("48 x 48 x 8") && i.out.contains("0.5 x 0.5 x 2.5 mm"), qPrintable(i.out));
        QVERIFY(i.out.contains("int16"));
        Result folder = run({"info", demo + "/polyp/centre-b"});
        QCOMPARE(folder.code, 0);
        QVERIFY(folder.out.contains("cases:       8"));
        // A label 7 makes validation fail with a message naming the case.
        fs::copy_file(dir() / "demo/fundus/centre-a/masks/fundus_a001.png", dir() / "demo/fundus/centre-a/masks/fundus_a002.png",
                      fs::copy_options::overwrite_existing);
        Result json = run({"dataset", "validate", "--json", "--task", "polyp", demo + "/fundus/centre-a"});
        QCOMPARE(json.code, 1);
        QVERIFY(json.out.contains("\"unknown label\""));
    }

    void pretrainWritesEncoderTheTrainerLoads() {
        QVERIFY(run({"--help"}).out.contains("pretrain"));
        Result help = run({"pretrain", "--help"});
        QCOMPARE(help.code, 0);
        QVERIFY(help.out.startsWith("Usage: dacw pretrain"));
        fs::create_directories(dir() / "nothing-here");
        const QString out = QString::fromStdString((dir() / "enc.pt").string());
        Result empty = run({"pretrain", "--task", "polyp", "--out", out, QString::fromStdString((dir() / "nothing-here").string())});
        QCOMPARE(empty.code, 1);
        QVERIFY2(empty.err.contains("holds no images"), qPrintable(empty.err));
        QCOMPARE(run({"pretrain", "--task", "polyp", "--out", out}).code, 2);  // no folder: usage

        const QString demo = QString::fromStdString((dir() / "pdemo").string());
        QCOMPARE(run({"demo", demo}).code, 0);
        const QString a = demo + "/polyp/centre-a", b = demo + "/polyp/centre-b";
        Result folderOut = run({"pretrain", "--task", "polyp", "--out", QString::fromStdString(dir().string()), a});
        QCOMPARE(folderOut.code, 1);
        QVERIFY2(folderOut.err.contains("is a folder"), qPrintable(folderOut.err));
        Result noParent = run({"pretrain", "--task", "polyp", "--out", QString::fromStdString((dir() / "absent" / "e.pt").string()), a});
        QCOMPARE(noParent.code, 1);
        QVERIFY2(noParent.err.contains("cannot write"), qPrintable(noParent.err));
        // Tiny: 32 px, two iterations of 4 images; progress is printed, the file appears whole.
        Result pre = run({"pretrain", "--task", "polyp", "--size", "32", "--iters", "2", "--batch", "4", "--threads", "1",
                          "--no-cache", "--out", out, "--images", a, b});
        QCOMPARE(pre.code, 0);
        QVERIFY2(pre.err.contains("iteration 2/2 loss") && pre.err.contains("img/s"), qPrintable(pre.err));
        QVERIFY(fs::exists(out.toStdString()) && !fs::exists(out.toStdString() + ".partial"));
        // The masked pretext writes a file of the same encoder; its options are checked first.
        const QString maskedOut = QString::fromStdString((dir() / "enc-masked.pt").string());
        const QStringList masked = {"pretrain", "--task",    "polyp", "--size",     "32",    "--iters", "2", "--batch",
                                    "4",        "--threads", "1",     "--no-cache", "--out", maskedOut, a};
        Result unknown = run(QStringList(masked) << "--pretext"
                                                 << "jigsaw");
        QCOMPARE(unknown.code, 2);
        QVERIFY2(unknown.err.contains("unknown pretext task 'jigsaw'"), qPrintable(unknown.err));
        Result ratio = run(QStringList(masked) << "--pretext"
                                               << "masked"
                                               << "--mask-ratio"
                                               << "1");
        QCOMPARE(ratio.code, 2);
        QVERIFY2(ratio.err.contains("--mask-ratio must be between 0 and 1"), qPrintable(ratio.err));
        Result ratioAlone = run(QStringList(masked) << "--mask-ratio"
                                                    << "0.5");
        QCOMPARE(ratioAlone.code, 2);
        QVERIFY2(ratioAlone.err.contains("option of --pretext masked"), qPrintable(ratioAlone.err));
        QVERIFY(!fs::exists(maskedOut.toStdString()));
        Result m = run(QStringList(masked) << "--pretext"
                                           << "masked"
                                           << "--mask-ratio"
                                           << "0.5");
        QCOMPARE(m.code, 0);
        QVERIFY2(m.err.contains("pretext masked (50% of the patches blanked)"), qPrintable(m.err));
        QCOMPARE(fs::file_size(maskedOut.toStdString()), fs::file_size(out.toStdString()));
        // The same preset trains from it; another width is refused with a message, not a crash.
        const QStringList train = {"train", "--task", "polyp", "--labeled", a, "--unlabeled", b, "--method", "supervised",
                                   "--iters", "1", "--size", "32", "--threads", "1", "--no-cache", "--no-predictions",
                                   "--bf16", "false", "--set", "channels-last=false", "--set", "model-parallel=false",
                                   "--set", "encoder-weights=" + out};
        Result ok = run(QStringList(train) << "--out" << QString::fromStdString((dir() / "run-ok").string()));
        QCOMPARE(ok.code, 0);
        QStringList fromMasked = train;
        fromMasked.last() = "encoder-weights=" + maskedOut;
        QCOMPARE(run(fromMasked << "--out" << QString::fromStdString((dir() / "run-masked").string())).code, 0);
        Result bad = run(QStringList(train) << "--width" << "0.25" << "--out" << QString::fromStdString((dir() / "run-bad").string()));
        QCOMPARE(bad.code, 1);
        QVERIFY2(bad.err.contains("do not match this encoder") && bad.err.contains("enc.pt"), qPrintable(bad.err));
    }

    void badInputExitsOne() {
        Result missing = run({"info", QString::fromStdString((dir() / "nothing.nii.gz").string())});
        QCOMPARE(missing.code, 1);
        QVERIFY(missing.err.contains("not found"));
        { std::ofstream(dir() / "zero.png"); }
        Result zero = run({"info", QString::fromStdString((dir() / "zero.png").string())});
        QCOMPARE(zero.code, 1);
        QVERIFY(zero.err.contains("empty (0 bytes)"));
        fs::create_directories(dir() / "emptydir");
        Result empty = run({"dataset", "validate", QString::fromStdString((dir() / "emptydir").string())});
        QCOMPARE(empty.code, 1);
        QVERIFY(empty.out.contains("holds no images"));
        Result task = run({"dataset", "validate", "--task", "teeth", QString::fromStdString(dir().string())});
        QCOMPARE(task.code, 1);
        QVERIFY(task.err.contains("Unknown task 'teeth'"));
        Result nofolder = run({"dataset", "validate", QString::fromStdString((dir() / "absent").string())});
        QCOMPARE(nofolder.code, 1);
        QVERIFY(nofolder.err.contains("Folder not found"));
        { std::ofstream(dir() / "huge.mhd") << "NDims = 3\nDimSize = 100000 100000 1000\nElementType = MET_UCHAR\nElementDataFile = huge.raw\n"; }
        Result huge = run({"info", QString::fromStdString((dir() / "huge.mhd").string())});
        QCOMPARE(huge.code, 1);
        QVERIFY(huge.err.contains("over the limit"));
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "test_cli.moc"
