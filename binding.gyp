{
  "targets": [
    {
      "target_name": "gantry",
      "sources": ["native/binding.cc", "native/ops.cc", "native/allocator.cc", "native/signals.cc", "native/kernels.cc"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!@(node scripts/find-libtorch.mjs --include)"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_CPP_EXCEPTIONS",
        "_GLIBCXX_USE_CXX11_ABI=<!(node scripts/find-libtorch.mjs --abi)"
      ],
      "cflags!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++20"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-frtti", "-O3", "-fno-loop-unroll-and-jam", "-fopenmp", "-Wno-unused-parameter", "-Wno-deprecated-declarations"],
      "ldflags": ["-fopenmp", "<!@(node scripts/find-libtorch.mjs --ldflags)"],
      "libraries": ["<!@(node scripts/find-libtorch.mjs --libs)"]
    }
  ]
}
