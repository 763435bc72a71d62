# CPU image by default. For a CUDA image, pass a CUDA base that has Python 3.11 and a
# matching PyTorch wheel index, e.g.
#   docker build --build-arg BASE_IMAGE=nvidia/cuda:12.8.1-runtime-ubuntu24.04 \
#     --build-arg TORCH_INDEX=https://download.pytorch.org/whl/cu128 -t attnscope:cuda .
ARG BASE_IMAGE=python:3.11-slim-bookworm
FROM ${BASE_IMAGE}

ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1

RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm \
 && (command -v python3 >/dev/null || apt-get install -y --no-install-recommends python3 python3-pip) \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /srv/attnscope
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

COPY pyproject.toml README.md ./
COPY app ./app
RUN python3 -m pip install --break-system-packages --index-url ${TORCH_INDEX} "torch>=2.3,<3" \
 && python3 -m pip install --break-system-packages .

COPY models ./models
COPY templates ./templates
COPY static ./static

ENV ATTNSCOPE_MODELS_DIR=/srv/attnscope/models \
    ATTNSCOPE_TEMPLATES_DIR=/srv/attnscope/templates \
    ATTNSCOPE_STATIC_DIR=/srv/attnscope/static \
    ATTNSCOPE_NODE_MODULES_DIR=/srv/attnscope/node_modules
EXPOSE 8000
CMD ["attnscope", "serve", "--host", "0.0.0.0", "--port", "8000"]
