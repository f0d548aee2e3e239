import ArgumentParser
import OCR

// OMP_THREAD_LIMIT and the malloc tunables are read once, at load: re-exec with them set first.
ProcessEnvironment.reexecIfNeeded()
Chartex.main()
