"""The CPU identity that heads every benchmark table, in the form dacw's kernel cache uses
(core/train/CpuInfo): model name, then vendor, family, model and stepping, and the flags that
change which kernels are fast. Cloud machines report a bare "AMD EPYC" for several generations;
the family and model tell them apart."""


def cpu_text(path="/proc/cpuinfo"):
    fields, seen = {}, False
    try:
        with open(path) as f:
            for line in f:
                if ":" not in line:
                    if seen and not line.strip():
                        break
                    continue
                key, value = (p.strip() for p in line.split(":", 1))
                if key == "processor":
                    if seen:
                        break
                    seen = True
                fields.setdefault(key, value)
    except OSError:
        return "unknown"
    name = fields.get("model name") or "unknown"
    ids = [fields["vendor_id"]] if fields.get("vendor_id") else []
    for label, key in (("family", "cpu family"), ("model", "model"), ("stepping", "stepping")):
        if fields.get(key, "").isdigit():
            ids.append(f"{label} {fields[key]}")
    words = fields.get("flags", "").split()
    flags = (["avx512_bf16"] if "avx512_bf16" in words else []) + (["amx"] if any(w.startswith("amx") for w in words) else [])
    inside = " ".join(ids) + ("; " if ids and flags else "") + " ".join(flags)
    return f"{name} ({inside})" if inside else name


if __name__ == "__main__":
    print(cpu_text())
