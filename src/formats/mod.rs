//! Foreign formats that know nothing of CBAM: readers and writers used by the stages.

pub mod pydict;
