#include "layers/attention/measurement/attention_recorder.h"

namespace knnformer::attention {

namespace {

// The recording in progress on this thread; nullptr when none is.
thread_local std::vector<RecordedAttention>* current_recording = nullptr;

// Restores the enclosing recording (if any) however `work` ends.
class RecordingScope {
 public:
  explicit RecordingScope(std::vector<RecordedAttention>& recording) : previous_(current_recording) {
    current_recording = &recording;
  }
  RecordingScope(const RecordingScope&) = delete;
  RecordingScope& operator=(const RecordingScope&) = delete;
  ~RecordingScope() { current_recording = previous_; }

 private:
  std::vector<RecordedAttention>* previous_;
};

}  // namespace

std::vector<RecordedAttention> record_attention_inputs(const std::function<void()>& work) {
  std::vector<RecordedAttention> recording;
  {
    const RecordingScope scope(recording);
    work();
  }
  return recording;
}

void note_attention_inputs(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionCall& call) {
  if (current_recording) current_recording->push_back({q, k, v, call});
}

}  // namespace knnformer::attention
