// The checkpoint loader that `dacw train --resume` and the workbench's Resume use: CoTrainer::run
// with config.resume on a checkpoint file. A damaged file must be refused with train::TrainError
// (FileFormatError naming the file); a checkpoint that loads resumes, and the run is cancelled
// before its first step (so that an iteration count read from the file costs no time).
#include <torch/torch.h>

#include "FuzzSupport.h"
#include "TinyCheckpoint.h"
#include "core/train/CoTrainer.h"
#include "core/train/Errors.h"

using namespace dacw;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    torch::set_num_threads(1);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    static const train::TensorDataset labeled = fuzz::tinyLabeled(), unlabeled = fuzz::tinyUnlabeled();
    const auto file = fuzz::writeInput("checkpoint.pt", data, size).string();
    train::TrainConfig c = fuzz::tinyCheckpointConfig(file);
    c.resume = true;
    c.checkpointInterval = 0;  // nothing written back over the input
    const train::CancelToken cancel{true};
    train::RunResult r;
    if (!fuzz::refusedOrOk<train::TrainError>(
            [&] { r = train::CoTrainer(c).run(labeled, unlabeled, {}, {}, &cancel); }, "CoTrainer::run (resume)"))
        return 0;
    fuzz::require(r.status == train::RunStatus::Cancelled || r.iterations >= c.iterations,
                  "a resumed run stops at the cancellation or has nothing left to do");
    return 0;
}
