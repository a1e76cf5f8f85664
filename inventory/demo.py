"""Demo data for inventory: a second warehouse, about 200 products of a Brazilian online store
(clothing, shoes, kitchen and home, electronics accessories, toys, beauty, books) and a stock
history written only through the services, in the months before the orders' (each step on
its day): receipts, transfers, safety stock, sales (reserve then consume or release), returns
through quality control, write-offs and cycle counts. Some products end at or under their
reorder point, a few with no stock at all.

Idempotent: when the catalog already has products nothing is seeded (the second warehouse is
still made sure of).
"""

import random
import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from itertools import product as cartesian

from django.contrib.auth import get_user_model
from django.utils import timezone
from stdnum import ean

from backoffice.demo import demo_seeder, run_history
from backoffice.money import cents

from .models import Movement, Origin, Product, State, StockLevel, Warehouse
from .services import (
    InsufficientStock,
    InventoryError,
    ReservationLine,
    product_save,
    stock_adjust,
    stock_change_state,
    stock_consume,
    stock_receive,
    stock_release,
    stock_reserve,
    stock_return,
    stock_transfer,
    stock_write_off,
)

N, FD, FL = Origin.NATIONAL, Origin.FOREIGN_DIRECT, Origin.FOREIGN_LOCAL


@dataclass(frozen=True)
class Item:
    """A catalog line: `code` is the SKU prefix; `colors` (label, code) and `sizes` (label or
    (label, code)) make it a parent with one variant per combination."""

    code: str
    name: str
    ncm: str
    price: str
    weight: str  # gross, kg
    dims: tuple  # height, width, length (cm)
    cest: str = ""
    origins: tuple = (N,)
    colors: tuple = ()
    sizes: tuple = ()


P, M, G, GG = "P", "M", "G", "GG"
BRANCO, PRETO, AZUL, ROSA, CINZA = (("Branco", "BR"), ("Preto", "PT"), ("Azul", "AZ"), ("Rosa", "RS"),
                                    ("Cinza Mescla", "CZ"))

# NCM: 6109.10.00 cotton T-shirts; 6110.20.00 cotton sweaters; 6103.42.00 men's cotton shorts
# (knitted); 6203.42.00 men's cotton trousers; 6204.62.00 women's cotton trousers; 6205.20.00
# men's cotton shirts; 6115.95.00 cotton socks; 6404.11.00 sports shoes, 6404.19.00 other shoes
# (textile uppers); 6402.20.00 thong sandals; 3924.10.00 plastic tableware and kitchenware;
# 7323.93.00 stainless steel household articles; 7013.37.00 drinking glasses; 6302.60.00 cotton
# terry towels; 6302.21.00 printed cotton bed linen; 9404.90.00 pillows and cushions;
# 8507.60.00 lithium-ion accumulators; 8544.42.00 cables with connectors; 8518.30.00 headphones;
# 8471.60.52/53 keyboards/mice; 3926.90.90 other plastic articles; 9503.00.99 other toys;
# 9504.90.90 table games; 9504.40.00 playing cards; 3303.00.10/20 perfumes/colognes; 3304.x
# make-up and skin care; 4901.99.00 books; 4901.91.00 dictionaries.
# CEST (Convênio ICMS 142/2018, annex for perfumery and cosmetics) for the cosmetics only.
FAMILIES = [
    Item("CAM", "Camiseta Básica 100% Algodão", "61091000", "49.90", "0.180", (2, 25, 30),
         colors=(BRANCO, PRETO, AZUL), sizes=(P, M, G, GG)),
    Item("CAM", "Camiseta Feminina Gola V Algodão", "61091000", "44.90", "0.150", (2, 22, 28),
         colors=(ROSA, ("Verde", "VD")), sizes=(P, M, G)),
    Item("REG", "Regata Feminina Canelada", "61091000", "34.90", "0.120", (2, 20, 26),
         colors=(BRANCO, PRETO), sizes=(P, M, G)),
    Item("MOL", "Moletom Canguru Unissex com Capuz", "61102000", "139.90", "0.650", (6, 30, 35),
         colors=(CINZA, PRETO), sizes=(P, M, G, GG)),
    Item("BER", "Bermuda Moletom Masculina", "61034200", "79.90", "0.350", (4, 28, 32),
         colors=(CINZA,), sizes=(P, M, G, GG)),
    Item("CJE", "Calça Jeans Masculina Slim", "62034200", "159.90", "0.700", (5, 30, 40),
         colors=(("Azul Escuro", "AE"),), sizes=("38", "40", "42", "44", "46")),
    Item("TEN", "Tênis de Corrida Leve", "64041100", "229.90", "0.850", (12, 20, 32), origins=(N, N, FL),
         colors=(PRETO, BRANCO), sizes=("37", "38", "39", "40", "41", "42")),
    Item("CHI", "Chinelo de Borracha Tradicional", "64022000", "34.90", "0.250", (4, 12, 28),
         colors=(AZUL, PRETO, ROSA),
         sizes=(("35/36", "3536"), ("37/38", "3738"), ("39/40", "3940"), ("41/42", "4142"))),
    Item("CAP", "Capinha de Silicone Aveludada", "39269090", "39.90", "0.040", (1, 9, 17), origins=(FL,),
         sizes=(("iPhone 13", "IP13"), ("iPhone 14", "IP14"), ("iPhone 15", "IP15"), ("Galaxy A54", "GA54"),
                ("Moto G84", "MG84"))),
    Item("TOA", "Toalha de Banho Gigante 100% Algodão", "63026000", "69.90", "0.600", (8, 25, 35),
         colors=(BRANCO, AZUL, ("Bege", "BG"))),
    Item("ESM", "Esmalte Cremoso 9 ml", "33043000", "8.90", "0.030", (7, 3, 3), cest="2001200",
         colors=(("Vermelho Paixão", "VM"), ("Nude", "NU"), ("Rosa Chiclete", "RC"), PRETO)),
]

PERFUME = (N, N, FD, FL)
GADGET = (FL, FL, FD)
STANDALONE = [
    # Clothing and shoes
    Item("VES", "Meia Esportiva Cano Curto Kit 3 Pares", "61159500", "29.90", "0.120", (3, 10, 20)),
    Item("VES", "Camiseta Estampada Praia Tropical", "61091000", "59.90", "0.180", (2, 25, 30)),
    Item("VES", "Camiseta Infantil Dinossauro", "61091000", "39.90", "0.110", (2, 20, 24)),
    Item("VES", "Camisa Social Manga Longa Branca", "62052000", "119.90", "0.300", (3, 28, 36)),
    Item("VES", "Calça Jeans Feminina Cintura Alta", "62046200", "149.90", "0.600", (5, 30, 40)),
    Item("CAL", "Sapatilha Feminina Bico Redondo", "64041900", "89.90", "0.400", (10, 14, 26)),
    Item("CAL", "Tênis Casual de Lona Branco", "64041900", "119.90", "0.700", (12, 20, 32)),
    Item("CAL", "Tênis Infantil com Velcro", "64041900", "99.90", "0.450", (10, 16, 24)),
    # Kitchen and home
    Item("COZ", "Pote Hermético Retangular 1,2 L", "39241000", "19.90", "0.180", (8, 13, 19)),
    Item("COZ", "Kit 5 Potes Herméticos com Trava", "39241000", "79.90", "0.900", (15, 20, 28)),
    Item("COZ", "Jarra Plástica com Tampa 2 L", "39241000", "24.90", "0.250", (25, 12, 15)),
    Item("COZ", "Tábua de Corte de Polipropileno 40 cm", "39241000", "39.90", "0.800", (2, 28, 40)),
    Item("COZ", "Escorredor de Louça Plástico", "39241000", "49.90", "0.700", (12, 30, 45)),
    Item("COZ", "Garrafa Squeeze 750 ml", "39241000", "29.90", "0.150", (24, 8, 8)),
    Item("COZ", "Porta-Mantimentos 3 Peças", "39241000", "59.90", "0.700", (20, 15, 35)),
    Item("COZ", "Jogo de Pratos Plásticos 6 Unidades", "39241000", "34.90", "0.450", (6, 24, 24)),
    Item("COZ", "Copo Infantil com Canudo 300 ml", "39241000", "19.90", "0.100", (15, 8, 8)),
    Item("COZ", "Forma de Gelo com Tampa", "39241000", "14.90", "0.120", (4, 12, 26)),
    Item("COZ", "Escorredor de Macarrão Inox", "73239300", "69.90", "0.400", (11, 24, 30)),
    Item("COZ", "Tigela Inox 24 cm", "73239300", "39.90", "0.300", (9, 24, 24)),
    Item("COZ", "Lixeira Inox com Pedal 5 L", "73239300", "149.90", "1.600", (30, 21, 26)),
    Item("COZ", "Porta-Talheres Inox", "73239300", "59.90", "0.350", (13, 10, 10)),
    Item("COZ", "Assadeira Retangular Inox 35 cm", "73239300", "89.90", "0.700", (6, 25, 36)),
    Item("COZ", "Fruteira de Mesa Inox", "73239300", "79.90", "0.600", (12, 28, 28)),
    Item("COZ", "Kit 3 Bowls Inox", "73239300", "69.90", "0.500", (10, 22, 22)),
    Item("COZ", "Jogo 6 Copos Americanos 190 ml", "70133700", "29.90", "1.100", (10, 15, 22)),
    Item("COZ", "Jogo 6 Copos Long Drink 350 ml", "70133700", "59.90", "1.500", (15, 15, 22)),
    Item("CAS", "Toalha de Rosto Felpuda", "63026000", "24.90", "0.200", (3, 20, 25)),
    Item("CAS", "Jogo de Toalhas 5 Peças", "63026000", "149.90", "1.800", (15, 30, 40)),
    Item("CAS", "Toalha de Praia Listrada", "63026000", "89.90", "0.700", (8, 25, 35)),
    Item("CAS", "Fronha Estampada Avulsa", "63022100", "19.90", "0.100", (2, 20, 25)),
    Item("CAS", "Jogo de Lençol Solteiro Estampado", "63022100", "99.90", "0.900", (8, 28, 35)),
    Item("CAS", "Jogo de Cama Casal 4 Peças Estampado", "63022100", "179.90", "1.600", (10, 30, 40)),
    Item("CAS", "Travesseiro Fibra Siliconada 50x70", "94049000", "59.90", "0.800", (15, 50, 70)),
    Item("CAS", "Almofada Decorativa 45x45 com Enchimento", "94049000", "49.90", "0.400", (15, 45, 45)),
    Item("CAS", "Travesseiro Viscoelástico Ortopédico", "94049000", "129.90", "1.200", (12, 40, 60)),
    # Electronics accessories
    Item("ELE", "Power Bank 10.000 mAh USB-C", "85076000", "119.90", "0.250", (2, 7, 14), origins=GADGET),
    Item("ELE", "Power Bank 20.000 mAh Carga Rápida", "85076000", "179.90", "0.420", (3, 8, 16), origins=GADGET),
    Item("ELE", "Power Bank Magnético 5.000 mAh", "85076000", "149.90", "0.150", (2, 7, 10), origins=GADGET),
    Item("ELE", "Cabo USB-C para USB-C 1 m", "85444200", "29.90", "0.040", (2, 8, 12), origins=GADGET),
    Item("ELE", "Cabo USB-C Reforçado 2 m", "85444200", "39.90", "0.070", (2, 8, 12), origins=GADGET),
    Item("ELE", "Cabo Lightning 1 m", "85444200", "39.90", "0.040", (2, 8, 12), origins=GADGET),
    Item("ELE", "Cabo Micro-USB 1 m", "85444200", "19.90", "0.040", (2, 8, 12), origins=GADGET),
    Item("ELE", "Cabo HDMI 2.0 2 m", "85444200", "34.90", "0.120", (3, 12, 15), origins=GADGET),
    Item("ELE", "Cabo HDMI 2.0 5 m", "85444200", "59.90", "0.250", (4, 14, 16), origins=GADGET),
    Item("ELE", "Fone de Ouvido Bluetooth TWS", "85183000", "129.90", "0.090", (4, 9, 12), origins=GADGET),
    Item("ELE", "Fone Intra-auricular com Fio P2", "85183000", "29.90", "0.030", (2, 8, 12), origins=GADGET),
    Item("ELE", "Headphone Bluetooth Dobrável", "85183000", "189.90", "0.300", (8, 17, 20), origins=GADGET),
    Item("ELE", "Headset Gamer com Microfone", "85183000", "199.90", "0.450", (10, 20, 22), origins=GADGET),
    Item("ELE", "Mouse Sem Fio 1600 DPI", "84716053", "59.90", "0.120", (5, 10, 15), origins=GADGET),
    Item("ELE", "Mouse Gamer RGB 7200 DPI", "84716053", "129.90", "0.200", (6, 12, 16), origins=GADGET),
    Item("ELE", "Teclado Sem Fio ABNT2", "84716052", "99.90", "0.550", (4, 15, 45), origins=GADGET),
    Item("ELE", "Teclado Mecânico Gamer ABNT2", "84716052", "249.90", "1.000", (5, 16, 46), origins=GADGET),
    Item("ELE", "Suporte Veicular para Celular", "39269090", "39.90", "0.100", (6, 8, 12), origins=GADGET),
    Item("ELE", "Suporte de Mesa Ajustável para Celular", "39269090", "29.90", "0.150", (4, 8, 14), origins=GADGET),
    Item("ELE", "Organizador de Cabos de Silicone", "39269090", "14.90", "0.030", (1, 6, 10), origins=GADGET),
    # Toys
    Item("BRI", "Carrinho de Fricção Bombeiro", "95030099", "39.90", "0.250", (10, 10, 20)),
    Item("BRI", "Boneca de Pano Tradicional", "95030099", "59.90", "0.200", (8, 15, 35)),
    Item("BRI", "Urso de Pelúcia 30 cm", "95030099", "69.90", "0.300", (20, 20, 30)),
    Item("BRI", "Blocos de Montar 100 Peças", "95030099", "79.90", "0.700", (12, 20, 30)),
    Item("BRI", "Quebra-Cabeça 500 Peças Paisagem", "95030099", "49.90", "0.500", (6, 24, 34)),
    Item("BRI", "Quebra-Cabeça Infantil 60 Peças", "95030099", "29.90", "0.300", (5, 20, 28)),
    Item("BRI", "Pião de Madeira com Fieira", "95030099", "14.90", "0.060", (6, 6, 10)),
    Item("BRI", "Ioiô Clássico", "95030099", "12.90", "0.050", (6, 6, 4)),
    Item("BRI", "Caminhão Basculante Grande", "95030099", "99.90", "1.200", (18, 20, 45)),
    Item("BRI", "Kit Médico Infantil", "95030099", "49.90", "0.400", (8, 22, 30)),
    Item("BRI", "Cozinha de Brinquedo com Acessórios", "95030099", "129.90", "2.500", (45, 20, 35)),
    Item("BRI", "Jogo de Damas e Trilha", "95049090", "24.90", "0.400", (4, 25, 25)),
    Item("BRI", "Dominó Osso 28 Peças", "95049090", "19.90", "0.300", (4, 8, 16)),
    Item("BRI", "Jogo da Memória Animais", "95049090", "24.90", "0.300", (5, 18, 18)),
    Item("BRI", "Xadrez Escolar com Tabuleiro", "95049090", "29.90", "0.450", (4, 25, 25)),
    Item("BRI", "Baralho Duplo", "95044000", "24.90", "0.200", (4, 9, 13)),
    # Beauty
    Item("BEL", "Perfume Floral Feminino 100 ml", "33030010", "199.90", "0.350", (14, 8, 8), cest="2000700",
         origins=PERFUME),
    Item("BEL", "Perfume Amadeirado Masculino 100 ml", "33030010", "219.90", "0.350", (14, 8, 8), cest="2000700",
         origins=PERFUME),
    Item("BEL", "Perfume Cítrico Unissex 50 ml", "33030010", "149.90", "0.200", (11, 6, 6), cest="2000700",
         origins=PERFUME),
    Item("BEL", "Colônia Lavanda 250 ml", "33030020", "69.90", "0.330", (20, 7, 7), cest="2000800"),
    Item("BEL", "Colônia Infantil Suave 200 ml", "33030020", "49.90", "0.280", (18, 6, 6), cest="2000800"),
    Item("BEL", "Body Splash Frutas Vermelhas 200 ml", "33030020", "59.90", "0.260", (18, 6, 6), cest="2000800"),
    Item("BEL", "Batom Matte Vermelho", "33041000", "34.90", "0.030", (9, 3, 3), cest="2000900"),
    Item("BEL", "Batom Líquido Nude", "33041000", "39.90", "0.030", (10, 3, 3), cest="2000900"),
    Item("BEL", "Gloss Labial Brilho Intenso", "33041000", "29.90", "0.030", (10, 3, 3), cest="2000900"),
    Item("BEL", "Protetor Labial Hidratante", "33041000", "19.90", "0.020", (8, 2, 2), cest="2000900"),
    Item("BEL", "Máscara de Cílios à Prova d'Água", "33042010", "49.90", "0.030", (12, 3, 3), cest="2001000"),
    Item("BEL", "Lápis de Olho Preto", "33042010", "19.90", "0.010", (15, 1, 1), cest="2001000"),
    Item("BEL", "Delineador Líquido Preto", "33042010", "34.90", "0.020", (12, 2, 2), cest="2001000"),
    Item("BEL", "Removedor de Esmalte sem Acetona 100 ml", "33043000", "12.90", "0.120", (12, 5, 5), cest="2001200"),
    Item("BEL", "Pó Compacto Translúcido", "33049100", "44.90", "0.060", (2, 8, 8), cest="2001300"),
    Item("BEL", "Creme Hidratante Facial 50 g", "33049910", "59.90", "0.090", (6, 7, 7), cest="2001400"),
    Item("BEL", "Loção Hidratante Corporal 400 ml", "33049910", "39.90", "0.450", (20, 7, 7), cest="2001400"),
    Item("BEL", "Creme para Mãos Manteiga de Karité 75 g", "33049910", "24.90", "0.090", (14, 4, 4), cest="2001400"),
    Item("BEL", "Sérum Facial Vitamina C 30 ml", "33049990", "89.90", "0.080", (11, 4, 4), cest="2001500",
         origins=PERFUME),
    Item("BEL", "Base Líquida Cobertura Média 30 ml", "33049990", "64.90", "0.070", (11, 4, 4), cest="2001500"),
    Item("BEL", "Água Micelar 200 ml", "33049990", "34.90", "0.230", (17, 6, 6), cest="2001500"),
    # Books
    *[
        Item("LIV", title, "49019900", price, weight, (3, 14, 21))
        for title, price, weight in [
            ("Dom Casmurro – Machado de Assis", "34.90", "0.300"),
            ("Memórias Póstumas de Brás Cubas – Machado de Assis", "39.90", "0.320"),
            ("Quincas Borba – Machado de Assis", "39.90", "0.350"),
            ("O Alienista – Machado de Assis", "24.90", "0.150"),
            ("O Cortiço – Aluísio Azevedo", "34.90", "0.330"),
            ("Iracema – José de Alencar", "29.90", "0.200"),
            ("Senhora – José de Alencar", "34.90", "0.300"),
            ("O Guarani – José de Alencar", "44.90", "0.450"),
            ("Lucíola – José de Alencar", "29.90", "0.220"),
            ("Triste Fim de Policarpo Quaresma – Lima Barreto", "39.90", "0.330"),
            ("Os Sertões – Euclides da Cunha", "69.90", "0.700"),
            ("O Ateneu – Raul Pompeia", "34.90", "0.280"),
            ("A Moreninha – Joaquim Manuel de Macedo", "29.90", "0.250"),
            ("Macunaíma – Mário de Andrade", "39.90", "0.250"),
            ("Memórias de um Sargento de Milícias – Manuel Antônio de Almeida", "34.90", "0.280"),
            ("Noite na Taverna – Álvares de Azevedo", "24.90", "0.150"),
            ("Os Lusíadas – Luís de Camões", "59.90", "0.550"),
            ("Auto da Barca do Inferno – Gil Vicente", "19.90", "0.120"),
            ("Cozinha Brasileira: 100 Receitas Regionais", "79.90", "0.800"),
            ("Guia Prático de Finanças Pessoais", "49.90", "0.350"),
        ]
    ],
    Item("LIV", "Dicionário Escolar da Língua Portuguesa", "49019100", "54.90", "0.600", (4, 14, 21)),
]

SALES_ORDERS = 320  # the inventory's own demo orders (references "demo-order:<n>")
ACTIVE_AT_END = 20  # the last sales stay reserved, waiting to ship


def gtin13(body12: str) -> str:
    """Append the EAN-13 check digit: weights 1 and 3 alternating from the left."""
    total = sum(int(digit) * (3 if i % 2 else 1) for i, digit in enumerate(body12))
    return body12 + str((10 - total % 10) % 10)


def _size(entry):
    return entry if isinstance(entry, tuple) else (entry, re.sub(r"[^0-9A-Z]", "", entry.upper()))


class _Catalog:
    def __init__(self, rnd, user):
        self.rnd = rnd
        self.user = user
        self.counters = {}
        self.gtins = 0

    def _sku(self, code):
        self.counters[code] = self.counters.get(code, 0) + 1
        return f"{code}-{self.counters[code]:04d}"

    def _gtin(self, item):
        # 789 (GS1 Brasil), a company number per category, the item number, the check digit.
        self.gtins += 1
        company = 4100 + sum(ord(c) for c in item.code) % 900
        code = gtin13(f"789{company:04d}{self.gtins:05d}")
        assert ean.is_valid(code), code
        return code

    def _product(self, item, *, sku, name, parent=None, variant_label="", stocked=True):
        rnd = self.rnd
        price = cents(item.price)
        # Variants cost what their parent costs.
        cost = parent.cost if parent is not None else cents(price * Decimal(rnd.uniform(0.38, 0.62)))
        gross = Decimal(item.weight)
        product = Product(
            sku=sku, name=name, parent=parent, variant_label=variant_label,
            gtin=self._gtin(item) if stocked else "", ncm=item.ncm, cest=item.cest,
            origin=rnd.choice(item.origins), unit="UN",
            gross_weight_kg=gross, net_weight_kg=(gross * Decimal(rnd.uniform(0.82, 0.95))).quantize(Decimal("0.001")),
            height_cm=Decimal(item.dims[0]), width_cm=Decimal(item.dims[1]), length_cm=Decimal(item.dims[2]),
            price=price, cost=cost,
            reorder_point=rnd.randint(5, 30) if stocked else 0,
        )
        product.clean_fields()  # NCM, CEST and choices; the database holds the constraints
        return product_save(product=product, user=self.user)

    def create(self):
        """Returns (parents, sellable products)."""
        parents, sellable = [], []
        for item in FAMILIES:
            base = self._sku(item.code)
            parent = self._product(item, sku=base, name=item.name, stocked=False)
            parents.append(parent)
            for color, size in cartesian(item.colors or [None], item.sizes or [None]):
                labels = [part for part in (color and color[0], size and _size(size)[0]) if part]
                codes = [part for part in (color and color[1], size and _size(size)[1]) if part]
                label = " / ".join(labels)
                sellable.append(self._product(
                    item, sku="-".join([base, *codes]), name=f"{item.name} – {label}", parent=parent,
                    variant_label=label,
                ))
        for item in STANDALONE:
            sellable.append(self._product(item, sku=self._sku(item.code), name=item.name))
        return parents, sellable


# When the stock's history happened, in days before today: the store's first months, before
# the orders' (orders.demo: the last 90 days), one step after the other.
CATALOG_DAYS_AGO = 126
WHEN = {
    "receive": (125, 110), "transfer": (109, 105), "safety": (104, 104), "sell": (103, 96), "return": (95, 94),
    "write_off": (93.5, 93.2), "count": (93, 92.5), "sell_down": (92, 91),
}


@demo_seeder(order=10)
def seed_inventory(*, faker, orders, log, **kwargs):
    """The second warehouse, the catalog and its stock history (see the module docstring)."""
    main = Warehouse.objects.get(code="principal")
    cd2, created = Warehouse.objects.get_or_create(code="sp-cd2", defaults={"name": "CD Cajamar", "priority": 2})
    log(f"warehouse {cd2.code}: {'created' if created else 'already there'}")
    if Product.objects.exists():
        log("catalog already there: no products or stock seeded")
        return

    rnd = random.Random(faker.random.getrandbits(64))
    staff = get_user_model().objects.filter(username="staff").first()
    run_history([_story(rnd=rnd, faker=faker, staff=staff, main=main, cd2=cd2, log=log)])


def _story(*, rnd, faker, staff, main, cd2, log):
    """The catalog registered, then its stock's history, each step on its day (backoffice.demo.run_history)."""
    now = timezone.now()
    yield now - timedelta(days=CATALOG_DAYS_AGO)
    parents, sellable = _Catalog(rnd, staff).create()
    log(f"{len(parents) + len(sellable)} products ({len(parents)} with variants)")
    history = _History(rnd=rnd, faker=faker, user=staff, main=main, cd2=cd2, products=sellable, now=now)
    yield from history.story()
    for line in history.summary():
        log(line)


class _History:
    def __init__(self, *, rnd, faker, user, main, cd2, products, now):
        self.rnd, self.user, self.main, self.cd2, self.now = rnd, user, main, cd2, now
        self.suppliers = [faker.company() for _ in range(12)]
        self.untouched = rnd.sample(products, 3)  # launches not received yet: no stock at all
        self.products = [p for p in products if p not in self.untouched]
        self.special = set()  # products with units held back (safety, quality control, damaged)
        self.order_number = 0
        self.consumed = []
        self.counts = dict.fromkeys(
            ["receipts", "transfers", "safety", "sales", "released", "reserved", "refused", "returns",
             "write-offs", "adjustments", "sold down"], 0,
        )

    def story(self):
        """Every step, each preceded by the moment it happened."""
        for phase in (self.receive, self.transfer, self.hold_safety_stock, self.sell, self.take_returns,
                      self.write_off_losses, self.count_cycles, self.sell_down):
            yield from phase()

    def summary(self):
        c = self.counts
        return [
            f"{c['receipts']} receipts, {c['transfers']} transfers, {c['safety']} safety stock holds",
            f"{c['sales']} orders shipped, {c['released']} released, {c['reserved']} still reserved, "
            f"{c['refused']} refused for lack of stock",
            f"{c['returns']} returns, {c['write-offs']} write-offs, {c['adjustments']} cycle-count corrections",
            f"{c['sold down']} products sold down to their reorder point or to zero; "
            f"{len(self.untouched)} never received",
        ]

    def _moments(self, phase, count):
        """`count` moments of the phase's days (WHEN), in order."""
        first, last = WHEN[phase]
        return sorted(self.now - timedelta(days=self.rnd.uniform(last, first)) for _ in range(count))

    # -- steps (generators: each step is preceded by its moment) ----------------

    def _receive(self, product, warehouse, quantity):
        unit_cost = cents(product.cost * Decimal(self.rnd.uniform(0.92, 1.08)))
        stock_receive(
            product=product, warehouse=warehouse, quantity=quantity, unit_cost=unit_cost, user=self.user,
            supplier=self.rnd.choice(self.suppliers), reference=f"NF-e {self.rnd.randint(1000, 99999)}",
        )
        self.counts["receipts"] += 1

    def receive(self):
        rnd = self.rnd
        for product, moment in zip(self.products, self._moments("receive", len(self.products))):
            yield moment
            self._receive(product, self.main, rnd.randint(15, 90))
            if rnd.random() < 0.6:
                self._receive(product, self.cd2, rnd.randint(8, 50))
            if rnd.random() < 0.25:
                self._receive(product, self.main, rnd.randint(10, 40))

    def transfer(self):
        rnd = self.rnd
        moments = iter(self._moments("transfer", 30))
        for product in rnd.sample(self.products, 25):
            yield next(moments)
            stock_transfer(product=product, source=self.main, destination=self.cd2, quantity=rnd.randint(3, 10),
                           user=self.user, reason="reposição do CD Cajamar")
            self.counts["transfers"] += 1
        for product in rnd.sample(self.products, 5):
            yield next(moments)
            level = StockLevel.objects.filter(product=product, warehouse=self.cd2).first()
            if level is not None and level.available >= 4:
                stock_transfer(product=product, source=self.cd2, destination=self.main, quantity=rnd.randint(1, 4),
                               user=self.user, reason="rebalanceamento")
                self.counts["transfers"] += 1

    def hold_safety_stock(self):
        for product, moment in zip(self.rnd.sample(self.products, 8), self._moments("safety", 8)):
            yield moment
            stock_change_state(product=product, warehouse=self.main, quantity=self.rnd.randint(2, 5),
                               from_state=State.SELLABLE, to_state=State.SAFETY, user=self.user,
                               reason="estoque de segurança")
            self.special.add(product.pk)
            self.counts["safety"] += 1

    def _next_reference(self):
        self.order_number += 1
        return f"demo-order:{self.order_number}"

    def sell(self):
        rnd = self.rnd
        for n, moment in enumerate(self._moments("sell", SALES_ORDERS)):
            yield moment
            reference = self._next_reference()
            chosen = rnd.sample(self.products, rnd.choice([1, 1, 1, 2, 2, 3]))
            lines = [
                ReservationLine(line=str(i), product_id=p.pk, quantity=rnd.choice([1, 1, 1, 2, 3]))
                for i, p in enumerate(chosen, start=1)
            ]
            try:
                stock_reserve(reference=reference, lines=lines)
            except InsufficientStock:
                self.counts["refused"] += 1
                continue
            if n >= SALES_ORDERS - ACTIVE_AT_END:
                self.counts["reserved"] += 1
            elif rnd.random() < 0.12:
                stock_release(reference=reference)
                self.counts["released"] += 1
            else:
                stock_consume(reference=reference, user=self.user)
                self.consumed.append(reference)
                self.counts["sales"] += 1

    def take_returns(self):
        """Returned units go to quality control, then most back to sellable, some to damaged;
        a few are still waiting for inspection."""
        rnd = self.rnd
        moments = self._moments("return", 17)
        for i, reference in enumerate(rnd.sample(self.consumed, 16)):
            yield moments[i]
            sale = (
                Movement.objects.filter(reference=reference, kind=Movement.Kind.SALE)
                .select_related("product", "warehouse").order_by("pk").first()
            )
            product, warehouse = sale.product, sale.warehouse
            quantity = rnd.randint(1, sale.quantity)
            stock_return(product=product, warehouse=warehouse, quantity=quantity, user=self.user, reference=reference,
                         reason=rnd.choice(["arrependimento (CDC art. 49)", "produto com defeito", "tamanho errado"]))
            self.special.add(product.pk)
            self.counts["returns"] += 1
            if i < 3:
                continue  # still in quality control
            yield moments[i] + (moments[i + 1] - moments[i]) / 2  # inspected before the next one comes back
            to_state = State.DAMAGED if rnd.random() < 0.3 else State.SELLABLE
            stock_change_state(product=product, warehouse=warehouse, quantity=quantity,
                               from_state=State.QUALITY_CONTROL, to_state=to_state, user=self.user,
                               reason="inspeção da devolução", reference=reference)

    def write_off_losses(self):
        moments = iter(self._moments("write_off", 20))
        yield next(moments)
        damaged = list(StockLevel.objects.filter(damaged__gt=0).select_related("product", "warehouse").order_by("pk"))
        for level in damaged[: max(1, len(damaged) // 2)]:
            stock_write_off(product=level.product, warehouse=level.warehouse, quantity=level.damaged,
                            user=self.user, reason="descarte: avaria sem conserto")
            self.counts["write-offs"] += 1
        for product in self.rnd.sample(self.products, 5):
            yield next(moments)
            try:
                stock_write_off(product=product, warehouse=self.main, quantity=1, user=self.user,
                                reason="extravio no armazém", from_state=State.SELLABLE)
            except InventoryError:
                continue
            self.counts["write-offs"] += 1

    def count_cycles(self):
        rnd = self.rnd
        for product, moment in zip(rnd.sample(self.products, 12), self._moments("count", 12)):
            yield moment
            level = StockLevel.objects.get(product=product, warehouse=self.main)
            difference = rnd.choice([-3, -2, -1, -1, 1, 2])
            if level.available + difference < 0:
                continue
            stock_adjust(product=product, warehouse=self.main, counted=level.on_hand + difference, user=self.user,
                         reason="inventário rotativo", reference=f"contagem:{rnd.randint(100, 999)}")
            self.counts["adjustments"] += 1

    def sell_down(self):
        """A few big orders leave some products at or under their reorder point, some at zero."""
        rnd = self.rnd
        plain = [p for p in self.products if p.pk not in self.special]
        chosen = rnd.sample(plain, 16)
        for i, (product, moment) in enumerate(zip(chosen, self._moments("sell_down", len(chosen)))):
            yield moment
            levels = list(StockLevel.objects.filter(product=product))
            available = sum(level.available for level in levels)
            to_zero = i < 4 and all(level.reserved == 0 for level in levels)
            target = 0 if to_zero else rnd.randint(0, product.reorder_point)
            if available <= target:
                continue
            reference = self._next_reference()
            stock_reserve(reference=reference, lines=[ReservationLine(line="1", product_id=product.pk,
                                                                      quantity=available - target)])
            stock_consume(reference=reference, user=self.user)
            self.counts["sold down"] += 1
