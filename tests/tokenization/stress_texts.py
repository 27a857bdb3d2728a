"""A generated stress set for tokenizer parity: the Unicode corners Chinese text meets."""

import random
import sys


def stress_texts(seed: int = 1234) -> list[str]:
    """Hand-picked corner cases plus random mixes of every interesting script."""
    fixed = [
        "",
        " ",
        "\u3000",
        "\t\n\r",
        "中国的首都是北京。",
        "！，：（）？ＡＢｃｄ１２３＠＃％",  # full-width forms: Google keeps them full-width
        "全角\u3000空格与\u00a0不换行空格",
        "零宽\u200b字符\u200c\u200d\ufeff在这里",
        "控制\x00字符\x01\x07\x1b\x7f\x85\u2028\u2029\x1c\x1f结束",
        "替换字符\ufffd和软连字符\u00ad",
        "emoji 😀👍🏽👨\u200d👩\u200d👧 ❤\ufe0f 🇨🇳",
        "ひらがな カタカナ ｶﾀｶﾅ ガギグ が\u3099",
        "한국어 문장입니다 ᄀᄁ",
        "Café naïve résumé Ångström Øre Straße ǅ ﬁ ﬀ",
        "ΟΔΥΣΣΕΥΣ Σ ΑΣ. ΑΣ'Σ σΣ ΣΑ",
        "İstanbul IĞDIR ı",
        "iPhone12Pro 5G手机 2020年 3.14159 1,000,000 ABC-123_x",
        "https://www.example.com/路径?q=查询&a=1",
        "[MASK] [SEP] [CLS] extra0 <extra_id_0> [unused1]",
        "a" * 199,
        "a" * 200,
        "a" * 201,
        "é" * 201,
        "x" * 500 + " 后面还有字",
        "\U00020000\U0002a700\U0002b740\U0002b820\uf900\U0002f800 扩展汉字",
        "\u4e00\u0301 汉字加重音 e\u0301 \u0300",
        "\u2e80\u2f00\u3005\u3007\u303b 部首和叠字",
        "ℌ ℍ ℎ Ⅻ ⅻ ① ⑴ ㍻ ㈱",
        "\U0001d400\U0001d41a 数学字母",
        "混合English和中文以及123数字",
    ]
    rng = random.Random(seed)
    pools = [
        "中文汉字测试天地玄黄宇宙洪荒",
        "！，：；（）？【】《》“”‘’、。…—～·",
        "ＡＢＣａｂｃ０１２３",
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
        "áéíóúàèìòùâêîôûäëïöüñçÁÉÍÓÚÄÖÜÑÇ",
        "ΑΒΓΔΣσςαβγδ",
        "あいうえおアイウエオｱｲｳ",
        "가나다라마바사",
        "😀😁👍🏽🇨🇳❤\ufe0f",
        " \t\u3000\u00a0\u200b\x00\x7f\ufffd",
        "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
    ]
    for _ in range(2000):
        length = rng.randint(1, 60)
        texts_pool = rng.sample(pools, rng.randint(1, 4))
        fixed.append("".join(rng.choice(rng.choice(texts_pool)) for _ in range(length)))
    return fixed


def every_code_point_texts() -> list[str]:
    """Each non-surrogate code point between letters and before a sigma, once."""
    return [
        f"a{chr(cp)}Σ{chr(cp)}b"
        for cp in range(sys.maxunicode + 1)
        if not 0xD800 <= cp <= 0xDFFF
    ]
