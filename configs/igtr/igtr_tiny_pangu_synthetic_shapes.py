# The tiny IGTR with the Pangu blocks switched on: MoGE feed-forward (8 experts in 4 groups, 4 active, 1 shared;
# balance loss logged as loss_moge_balance), depth-scaled sandwich norm and TinyInit.
_base_ = ['./igtr_tiny_synthetic_shapes.py']
model = dict(
    transformer=dict(
        ffn=dict(type='MoGEFeedForward', hidden_dim=96, num_experts=8, num_groups=4, top_k=4, num_shared_experts=1,
                 balance_loss_weight=0.01),
        sandwich_norm=True,
        tiny_init=True))
