import ArgumentParser
import OCR

// Tesseract reads OMP_THREAD_LIMIT once, at load: re-exec with it set before anything runs.
ThreadLimit.ensureSingleThreadedOpenMP()
Chartex.main()
