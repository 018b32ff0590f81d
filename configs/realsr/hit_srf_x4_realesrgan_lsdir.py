# HiT-SRF x4 for real-world SR with the recipe of the diffusion-SR papers' data (LSDIR + FFHQ, Real-ESRGAN
# degradation), L1 loss only (no GAN / perceptual loss), tested on RealSR. Needs the datasets under data/.
_base_ = [
    '../_base_/models/hit_srf.py', '../_base_/datasets/realesrgan_lsdir_ffhq_x4.py',
    '../_base_/schedules/sr_iter500k.py', '../_base_/default_runtime.py'
]
