// Anchor for the shared precompiled LibTorch header (see cmake/ActlabTarget.cmake).
