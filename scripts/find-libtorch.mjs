#!/usr/bin/env node
// Locates libtorch for the native build, in the order docs/ENGINE.md pins:
// 1. $LIBTORCH (a folder holding include/ and lib/), 2. Python's torch if importable, 3. Debian's libtorch-dev.
// Prints one JSON object {root, include: [...], lib, source, cuda}, or exits 1 with instructions.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

function fromRoot(root, source) {
  const include = [join(root, 'include'), join(root, 'include', 'torch', 'csrc', 'api', 'include')];
  const lib = join(root, 'lib');
  if (!existsSync(join(include[1], 'torch', 'torch.h'))) return null;
  const cuda = existsSync(join(lib, 'libtorch_cuda.so'));
  return { root, include, lib, source, cuda, abi: 1 };
}

function fromPython() {
  for (const python of [process.env.PYTHON, 'python3', 'python'].filter(Boolean)) {
    try {
      const [root, abi] = execFileSync(python, ['-c', 'import os, torch; print(os.path.dirname(torch.__file__)); print(int(torch._C._GLIBCXX_USE_CXX11_ABI))'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim().split('\n');
      // Debian's python3-torch has no bundled headers; it links the system libtorch, found below.
      const found = root && fromRoot(root, `python (${python})`);
      if (found) return { ...found, abi: Number(abi) };
    } catch {
      /* not importable with this interpreter */
    }
  }
  return null;
}

function fromDebian() {
  const include = ['/usr/include', '/usr/include/torch/csrc/api/include'];
  const lib = '/usr/lib/x86_64-linux-gnu';
  if (!existsSync(join(include[1], 'torch', 'torch.h')) || !existsSync(join(lib, 'libtorch_cpu.so'))) return null;
  return { root: '/usr', include, lib, source: 'debian', cuda: false, abi: 1 };
}

export function findLibtorch() {
  if (process.env.LIBTORCH) {
    const found = fromRoot(process.env.LIBTORCH, 'LIBTORCH');
    if (!found) {
      throw new Error(
        `LIBTORCH=${process.env.LIBTORCH} does not hold include/torch/csrc/api/include/torch/torch.h; ` +
          'point it at an unpacked libtorch (the folder with include/ and lib/) or unset it.',
      );
    }
    return found;
  }
  const found = fromPython() ?? fromDebian();
  if (!found) {
    throw new Error(
      'libtorch not found. Install it with `sudo apt-get install -y libtorch-dev libopenblas0-openmp` ' +
        '(or run scripts/setup.sh), or set LIBTORCH to an unpacked libtorch folder.',
    );
  }
  return found;
}

// Link flags: libtorch itself, an rpath to it, and (Debian) a DT_RPATH to the OpenMP OpenBLAS so
// that libtorch's libblas.so.3 resolves to it even where the system default is another BLAS.
export function ldflags(found) {
  const flags = [`-L${found.lib}`, `-Wl,-rpath,${found.lib}`];
  const openmpBlas = '/usr/lib/x86_64-linux-gnu/openblas-openmp';
  if (found.source === 'debian' && existsSync(openmpBlas)) {
    flags.unshift('-Wl,--disable-new-dtags', `-Wl,-rpath,${openmpBlas}`);
  }
  return flags;
}

// Libraries after the objects; the CUDA ones are kept even though no symbol of theirs is used,
// since loading them is what registers the CUDA kernels.
export function libs(found) {
  const l = ['-ltorch', '-ltorch_cpu', '-lc10'];
  if (found.cuda) l.unshift('-Wl,--no-as-needed', '-ltorch_cuda', '-lc10_cuda', '-Wl,--as-needed');
  return l;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    const found = findLibtorch();
    const what = process.argv[2];
    if (what === '--include') console.log(found.include.join(' '));
    else if (what === '--lib') console.log(found.lib);
    else if (what === '--cuda') console.log(found.cuda ? 1 : 0);
    else if (what === '--abi') console.log(found.abi);
    else if (what === '--ldflags') console.log(ldflags(found).join(' '));
    else if (what === '--libs') console.log(libs(found).join(' '));
    else console.log(JSON.stringify(found));
  } catch (e) {
    console.error(`gantry: ${e.message}`);
    process.exit(1);
  }
}
